import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { ManualClock, systemClock } from '../pipeline/clock/index.js';
import { createLogger, silentLogger } from '../pipeline/log/logger.js';
import type { Sample } from '../pipeline/messages/metric-batch.js';
import { Collector, selectFilesystems } from './collector.js';
import { createSystemSource, type FilesystemReading, type MemoryReading, type MetricSource, type NetworkCounterReading } from './source.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const GIB = 1024 ** 3;

/** Fixed readings that a test changes between rounds. */
class FixedSource implements MetricSource {
  cpu = 42.5;
  mem: MemoryReading = { totalBytes: 16 * GIB, activeBytes: 4 * GIB };
  fs: FilesystemReading[] = [
    { device: '/dev/sda1', type: 'ext4', mount: '/', sizeBytes: 100 * GIB, usedBytes: 30 * GIB, availableBytes: 70 * GIB },
  ];
  net: NetworkCounterReading[] = [
    { iface: 'lo', rxBytes: 1_000, txBytes: 1_000, loopback: true },
    { iface: 'eth0', rxBytes: 10_000, txBytes: 5_000, loopback: false },
  ];
  load: [number, number, number] = [0.5, 0.25, 0.125];
  /** Connect time per `host:port`; a missing entry refuses the connection. */
  latencies = new Map<string, number>();
  failing = new Set<string>();

  private guard<T>(name: string, value: T): Promise<T> {
    return this.failing.has(name) ? Promise.reject(new Error(`${name} unavailable`)) : Promise.resolve(value);
  }

  cpuUsage = () => this.guard('cpu', this.cpu);
  memory = () => this.guard('memory', this.mem);
  filesystems = () => this.guard('filesystems', this.fs);
  networkCounters = () => this.guard('network', this.net);
  loadAverage = () => this.guard('load', this.load);

  connectTcp = (host: string, port: number, signal: AbortSignal): Promise<number> => {
    const latency = this.latencies.get(`${host}:${port}`);
    if (latency === undefined) return Promise.reject(new Error('connect ECONNREFUSED'));
    if (latency === Number.POSITIVE_INFINITY) {
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
    return Promise.resolve(latency);
  };
}

function find(samples: Sample[], metric: string, labels: Record<string, string> = {}): Sample | undefined {
  return samples.find((sample) => sample.metric === metric && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

function metricNames(samples: Sample[]): string[] {
  return [...new Set(samples.map((sample) => sample.metric))].sort();
}

t.test('collector first round', async (t) => {
  const clock = new ManualClock(START);
  const source = new FixedSource();
  source.latencies.set('127.0.0.1:5432', 1.5);
  const collector = new Collector({ source, clock, logger: silentLogger, probeTargets: ['127.0.0.1:5432'], probeTimeoutMs: 2_000 });

  const samples = await collector.collect();

  t.same(metricNames(samples), ['cpu_usage', 'disk_used_pct', 'latency_ms', 'load1', 'load15', 'load5', 'mem_used_pct', 'probe_success']);
  t.ok(samples.every((sample) => sample.ts === START), 'every sample has the clock time');
  t.equal(find(samples, 'cpu_usage')?.value, 42.5);
  t.equal(find(samples, 'mem_used_pct')?.value, 25);
  t.equal(find(samples, 'disk_used_pct', { mount: '/' })?.value, 30);
  t.equal(find(samples, 'load1')?.value, 0.5);
  t.equal(find(samples, 'load5')?.value, 0.25);
  t.equal(find(samples, 'load15')?.value, 0.125);
  t.same(find(samples, 'latency_ms'), { metric: 'latency_ms', value: 1.5, ts: START, labels: { target: '127.0.0.1:5432' } });
  t.same(find(samples, 'probe_success'), { metric: 'probe_success', value: 1, ts: START, labels: { target: '127.0.0.1:5432' } });
  t.same(find(samples, 'cpu_usage')?.labels, {});
});

t.test('collector network rates', async (t) => {
  const clock = new ManualClock(START);
  const source = new FixedSource();
  const collector = new Collector({ source, clock, logger: silentLogger, probeTargets: [], probeTimeoutMs: 2_000 });

  const first = await collector.collect();
  t.equal(find(first, 'net_rx_bytes_per_s'), undefined, 'no rate on the first reading');

  await clock.advance(10_000);
  source.net = [
    { iface: 'lo', rxBytes: 900_000, txBytes: 900_000, loopback: true },
    { iface: 'eth0', rxBytes: 10_000 + 50_000, txBytes: 5_000 + 20_000, loopback: false },
    { iface: 'wlan0', rxBytes: 7, txBytes: 7, loopback: false },
  ];
  const second = await collector.collect();

  t.same(find(second, 'net_rx_bytes_per_s', { iface: 'eth0' }), { metric: 'net_rx_bytes_per_s', value: 5_000, ts: START + 10_000, labels: { iface: 'eth0' } });
  t.equal(find(second, 'net_tx_bytes_per_s', { iface: 'eth0' })?.value, 2_000);
  t.equal(find(second, 'net_rx_bytes_per_s', { iface: 'lo' }), undefined, 'loopback is skipped');
  t.equal(find(second, 'net_rx_bytes_per_s', { iface: 'wlan0' }), undefined, 'a new interface waits for its second reading');

  await clock.advance(10_000);
  source.net = [
    { iface: 'eth0', rxBytes: 100, txBytes: 100, loopback: false },
    { iface: 'wlan0', rxBytes: 10_007, txBytes: 1_007, loopback: false },
  ];
  const third = await collector.collect();
  t.equal(find(third, 'net_rx_bytes_per_s', { iface: 'eth0' }), undefined, 'a counter reset skips one reading');
  t.equal(find(third, 'net_rx_bytes_per_s', { iface: 'wlan0' })?.value, 1_000);
  t.equal(find(third, 'net_tx_bytes_per_s', { iface: 'wlan0' })?.value, 100);

  await clock.advance(10_000);
  source.net = [{ iface: 'eth0', rxBytes: 10_100, txBytes: 100, loopback: false }];
  const fourth = await collector.collect();
  t.equal(find(fourth, 'net_rx_bytes_per_s', { iface: 'eth0' })?.value, 1_000, 'rates resume after the reset');
  t.equal(find(fourth, 'net_tx_bytes_per_s', { iface: 'eth0' })?.value, 0);
});

t.test('collector disk selection', async (t) => {
  const readings: FilesystemReading[] = [
    { device: '/dev/sda2', type: 'btrfs', mount: '/home', sizeBytes: 100, usedBytes: 50, availableBytes: 50 },
    { device: '/dev/sda2', type: 'btrfs', mount: '/', sizeBytes: 100, usedBytes: 50, availableBytes: 50 },
    { device: '/dev/sdb1', type: 'xfs', mount: '/data', sizeBytes: 1_000, usedBytes: 900, availableBytes: 50 },
    { device: 'overlay', type: 'overlay', mount: '/var/lib/docker/overlay2/abc/merged', sizeBytes: 100, usedBytes: 10, availableBytes: 90 },
    { device: 'tmpfs', type: 'tmpfs', mount: '/run', sizeBytes: 100, usedBytes: 1, availableBytes: 99 },
    { device: '/dev/loop3', type: 'squashfs', mount: '/snap/core/1', sizeBytes: 100, usedBytes: 100, availableBytes: 0 },
    { device: 'devtmpfs', type: 'devtmpfs', mount: '/dev', sizeBytes: 100, usedBytes: 0, availableBytes: 100 },
    { device: 'proc', type: 'proc', mount: '/proc', sizeBytes: 0, usedBytes: 0, availableBytes: 0 },
    { device: 'empty', type: 'fuse', mount: '/mnt/empty', sizeBytes: 0, usedBytes: 0, availableBytes: 0 },
  ];
  t.same(
    selectFilesystems(readings).map((fs) => fs.mount),
    ['/', '/data', '/var/lib/docker/overlay2/abc/merged'],
  );

  const clock = new ManualClock(START);
  const source = new FixedSource();
  source.fs = readings;
  const collector = new Collector({ source, clock, logger: silentLogger, probeTargets: [], probeTimeoutMs: 2_000 });
  const samples = await collector.collect();
  t.equal(samples.filter((sample) => sample.metric === 'disk_used_pct').length, 3);
  t.equal(find(samples, 'disk_used_pct', { mount: '/data' })?.value, (100 * 900) / 950, 'reserved blocks count as unavailable, as in df');
});

t.test('collector failed probe', async (t) => {
  const clock = new ManualClock(START);
  const source = new FixedSource();
  source.latencies.set('127.0.0.1:1', 0.75);
  source.latencies.set('127.0.0.1:3', Number.POSITIVE_INFINITY);
  const collector = new Collector({
    source,
    clock,
    logger: silentLogger,
    probeTargets: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'],
    probeTimeoutMs: 2_000,
  });

  const collecting = collector.collect();
  await clock.advance(2_000);
  const samples = await collecting;

  t.equal(find(samples, 'probe_success', { target: '127.0.0.1:1' })?.value, 1);
  t.equal(find(samples, 'latency_ms', { target: '127.0.0.1:1' })?.value, 0.75);
  t.equal(find(samples, 'probe_success', { target: '127.0.0.1:2' })?.value, 0, 'refused');
  t.equal(find(samples, 'latency_ms', { target: '127.0.0.1:2' }), undefined);
  t.equal(find(samples, 'probe_success', { target: '127.0.0.1:3' })?.value, 0, 'timed out');
  t.equal(find(samples, 'latency_ms', { target: '127.0.0.1:3' }), undefined);
  t.equal(clock.pendingTimers, 0, 'probe timers are cancelled');
});

t.test('collector failing reading', async (t) => {
  const clock = new ManualClock(START);
  const source = new FixedSource();
  source.failing.add('filesystems');
  source.cpu = Number.NaN;
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  const collector = new Collector({ source, clock, logger, probeTargets: [], probeTimeoutMs: 2_000 });

  const first = await collector.collect();
  t.same(metricNames(first), ['load1', 'load15', 'load5', 'mem_used_pct'], 'other readings still report; NaN is left out');
  t.equal(lines.length, 1);
  t.equal(lines[0]?.reading, 'filesystems');
  t.match(lines[0]?.msg, /reading filesystems failed/);
  t.match((lines[0]?.err as { message?: string } | undefined)?.message, /filesystems unavailable/);

  await clock.advance(10_000);
  await collector.collect();
  t.equal(lines.length, 1, 'repeated failures within a minute are not logged again');

  await clock.advance(60_000);
  await collector.collect();
  t.equal(lines.length, 2);
  t.equal(lines[1]?.failures, 2, 'the next line counts the failures since the last');
});

t.test('collector rejects an invalid probe target', async (t) => {
  t.throws(
    () => new Collector({ source: new FixedSource(), clock: new ManualClock(), logger: silentLogger, probeTargets: ['nohost'], probeTimeoutMs: 1 }),
    /invalid probe target "nohost"/,
  );
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

t.test('collector with the system source', async (t) => {
  const open = createServer((socket) => socket.destroy());
  const openPort = await listen(open);
  t.teardown(() => open.close());

  const closed = createServer();
  const closedPort = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));

  const collector = new Collector({
    source: createSystemSource(),
    clock: systemClock,
    logger: silentLogger,
    probeTargets: [`127.0.0.1:${openPort}`, `127.0.0.1:${closedPort}`],
    probeTimeoutMs: 2_000,
  });

  await collector.collect();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const samples = await collector.collect();

  const percentages = samples.filter((sample) => ['cpu_usage', 'mem_used_pct', 'disk_used_pct'].includes(sample.metric));
  for (const sample of percentages) {
    t.ok(sample.value >= 0 && sample.value <= 100, `${sample.metric} ${JSON.stringify(sample.labels)} = ${sample.value} lies in 0..100`);
  }
  t.ok(find(samples, 'cpu_usage'), 'cpu_usage reported');
  t.ok(find(samples, 'mem_used_pct'), 'mem_used_pct reported');
  t.ok(samples.filter((sample) => sample.metric === 'disk_used_pct').length >= 1, 'at least one mount reported');

  for (const metric of ['load1', 'load5', 'load15']) {
    const load = find(samples, metric);
    t.ok(load && load.value >= 0, `${metric} is at least 0`);
  }
  for (const sample of samples.filter((sample) => sample.metric.startsWith('net_'))) {
    t.ok(sample.value >= 0, `${sample.metric} ${sample.labels.iface} is at least 0`);
    t.not(sample.labels.iface, 'lo', 'loopback is skipped');
  }

  t.equal(find(samples, 'probe_success', { target: `127.0.0.1:${openPort}` })?.value, 1);
  const latency = find(samples, 'latency_ms', { target: `127.0.0.1:${openPort}` });
  t.ok(latency && latency.value >= 0 && latency.value < 2_000, 'loopback connect time is under the timeout');
  t.equal(find(samples, 'probe_success', { target: `127.0.0.1:${closedPort}` })?.value, 0);
  t.equal(find(samples, 'latency_ms', { target: `127.0.0.1:${closedPort}` }), undefined);
});
