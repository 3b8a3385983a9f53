import type { Clock } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { Sample } from '../pipeline/messages/metric-batch.js';
import { parseProbeTarget, type ProbeTarget } from './config.js';
import { LogThrottle } from '../pipeline/log/log-throttle.js';
import type { FilesystemReading, MetricSource, NetworkCounterReading } from './source.js';

/**
 * Filesystem types that hold no disk data: memory-backed filesystems, kernel
 * interfaces, and read-only images that are always 100% full.
 */
const PSEUDO_FILESYSTEM_TYPES = new Set([
  'autofs',
  'binfmt_misc',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'cramfs',
  'debugfs',
  'devfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'fusectl',
  'hugetlbfs',
  'iso9660',
  'mqueue',
  'nsfs',
  'proc',
  'pstore',
  'ramfs',
  'rpc_pipefs',
  'securityfs',
  'squashfs',
  'sysfs',
  'tmpfs',
  'tracefs',
  'udf',
]);

/** Minimum time between two log lines about the same failing reading. */
const FAILURE_LOG_WINDOW_MS = 60_000;

export interface CollectorOptions {
  source: MetricSource;
  clock: Clock;
  logger: Logger;
  /** `host:port` strings, validated by the agent configuration. */
  probeTargets: readonly string[];
  probeTimeoutMs: number;
}

interface CounterBaseline {
  rxBytes: number;
  txBytes: number;
  atMs: number;
}

/**
 * Turns one round of host readings into samples. Every sample of a round
 * carries the same `ts`, the clock's time when the round started.
 *
 * Metrics (labels in brackets): cpu_usage, mem_used_pct, disk_used_pct
 * [mount], net_rx_bytes_per_s and net_tx_bytes_per_s [iface], load1, load5,
 * load15, latency_ms [target] and probe_success [target].
 */
export class Collector {
  private readonly source: MetricSource;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly probeTargets: ProbeTarget[];
  private readonly probeTimeoutMs: number;
  private readonly failureThrottles = new Map<string, LogThrottle>();
  private counterBaselines = new Map<string, CounterBaseline>();

  constructor(options: CollectorOptions) {
    this.source = options.source;
    this.clock = options.clock;
    this.logger = options.logger;
    this.probeTimeoutMs = options.probeTimeoutMs;
    this.probeTargets = options.probeTargets.map((text) => {
      const target = parseProbeTarget(text);
      if (!target) throw new Error(`invalid probe target ${JSON.stringify(text)}; expected host:port or [ipv6]:port`);
      return target;
    });
  }

  /**
   * Reads every metric once. A reading that fails is logged and left out,
   * so one broken source costs only its own samples.
   */
  async collect(): Promise<Sample[]> {
    const ts = this.clock.now();
    const parts = await Promise.all([
      this.read('cpu', ts, () => this.collectCpu(ts)),
      this.read('memory', ts, () => this.collectMemory(ts)),
      this.read('filesystems', ts, () => this.collectFilesystems(ts)),
      this.read('network', ts, () => this.collectNetwork(ts)),
      this.read('load average', ts, () => this.collectLoad(ts)),
      ...this.probeTargets.map((target) => this.probe(target, ts)),
    ]);
    return parts.flat().filter((sample) => this.keepFinite(sample));
  }

  private async read(name: string, ts: number, collect: () => Promise<Sample[]>): Promise<Sample[]> {
    try {
      return await collect();
    } catch (error) {
      let throttle = this.failureThrottles.get(name);
      if (!throttle) {
        throttle = new LogThrottle(this.clock, FAILURE_LOG_WINDOW_MS);
        this.failureThrottles.set(name, throttle);
      }
      const failures = throttle.record();
      if (failures !== undefined) {
        this.logger.warn({ err: error, reading: name, failures, ts }, `reading ${name} failed; its samples are left out of this round`);
      }
      return [];
    }
  }

  private async collectCpu(ts: number): Promise<Sample[]> {
    return [sample('cpu_usage', await this.source.cpuUsage(), ts)];
  }

  private async collectMemory(ts: number): Promise<Sample[]> {
    const memory = await this.source.memory();
    if (memory.totalBytes <= 0) return [];
    return [sample('mem_used_pct', (100 * memory.activeBytes) / memory.totalBytes, ts)];
  }

  private async collectFilesystems(ts: number): Promise<Sample[]> {
    return selectFilesystems(await this.source.filesystems()).map((fs) =>
      // df's Use%: space reserved for root counts as neither used nor available.
      sample('disk_used_pct', (100 * fs.usedBytes) / (fs.usedBytes + fs.availableBytes), ts, { mount: fs.mount }),
    );
  }

  private async collectNetwork(ts: number): Promise<Sample[]> {
    const readings = (await this.source.networkCounters()).filter((reading) => !reading.loopback);
    const samples: Sample[] = [];
    const baselines = new Map<string, CounterBaseline>();

    for (const reading of readings) {
      baselines.set(reading.iface, { rxBytes: reading.rxBytes, txBytes: reading.txBytes, atMs: ts });
      const rates = this.rates(reading, ts);
      if (!rates) continue;
      samples.push(sample('net_rx_bytes_per_s', rates.rx, ts, { iface: reading.iface }));
      samples.push(sample('net_tx_bytes_per_s', rates.tx, ts, { iface: reading.iface }));
    }

    // Interfaces that disappeared lose their baseline, so one that comes back starts afresh.
    this.counterBaselines = baselines;
    return samples;
  }

  /**
   * Bytes per second since the previous round, or undefined on an
   * interface's first reading and after a counter reset.
   */
  private rates(reading: NetworkCounterReading, ts: number): { rx: number; tx: number } | undefined {
    const previous = this.counterBaselines.get(reading.iface);
    if (!previous) return undefined;

    const elapsedSeconds = (ts - previous.atMs) / 1_000;
    const rxDelta = reading.rxBytes - previous.rxBytes;
    const txDelta = reading.txBytes - previous.txBytes;
    if (elapsedSeconds <= 0 || rxDelta < 0 || txDelta < 0) return undefined;
    return { rx: rxDelta / elapsedSeconds, tx: txDelta / elapsedSeconds };
  }

  private async collectLoad(ts: number): Promise<Sample[]> {
    const [one, five, fifteen] = await this.source.loadAverage();
    return [sample('load1', one, ts), sample('load5', five, ts), sample('load15', fifteen, ts)];
  }

  /** Yields latency_ms and probe_success 1 on connect, or probe_success 0 alone on failure or timeout. */
  private async probe(target: ProbeTarget, ts: number): Promise<Sample[]> {
    const labels = { target: target.target };
    const controller = new AbortController();
    const timer = this.clock.setTimeout(
      () => controller.abort(new Error(`connect timed out after ${this.probeTimeoutMs} ms`)),
      this.probeTimeoutMs,
    );
    try {
      const latencyMs = await this.source.connectTcp(target.host, target.port, controller.signal);
      return [sample('latency_ms', latencyMs, ts, labels), sample('probe_success', 1, ts, labels)];
    } catch (error) {
      this.logger.debug({ err: error, target: target.target }, 'probe failed');
      return [sample('probe_success', 0, ts, labels)];
    } finally {
      timer.cancel();
    }
  }

  /** Drops NaN and Infinity, because the gateway rejects a whole batch for one such value. */
  private keepFinite(candidate: Sample): boolean {
    if (Number.isFinite(candidate.value)) return true;
    this.logger.debug({ metric: candidate.metric, labels: candidate.labels, value: String(candidate.value) }, 'skipped a sample that is not a finite number');
    return false;
  }
}

/**
 * Keeps filesystems that hold data: drops pseudo types and empty ones, and
 * reports a device mounted at several places (bind mounts, btrfs
 * subvolumes) once, at its shortest mount path.
 */
export function selectFilesystems(readings: readonly FilesystemReading[]): FilesystemReading[] {
  const byDevice = new Map<string, FilesystemReading>();
  for (const fs of readings) {
    if (PSEUDO_FILESYSTEM_TYPES.has(fs.type.toLowerCase())) continue;
    if (fs.sizeBytes <= 0 || fs.usedBytes + fs.availableBytes <= 0) continue;

    const current = byDevice.get(fs.device);
    if (!current || fs.mount.length < current.mount.length) byDevice.set(fs.device, fs);
  }
  return [...byDevice.values()].sort((a, b) => a.mount.localeCompare(b.mount));
}

function sample(metric: string, value: number, ts: number, labels: Record<string, string> = {}): Sample {
  return { metric, value, ts, labels };
}
