import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import si from 'systeminformation';

/** Memory of the host in bytes; `active` excludes buffers and page cache. */
export interface MemoryReading {
  totalBytes: number;
  activeBytes: number;
}

/** One mounted filesystem as `df` reports it. */
export interface FilesystemReading {
  /** Device or source, such as `/dev/sda1`, `overlay` or `server:/export`. */
  device: string;
  /** Filesystem type, such as `ext4` or `tmpfs`. */
  type: string;
  mount: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
}

/** Cumulative byte counters of one network interface since it came up. */
export interface NetworkCounterReading {
  iface: string;
  rxBytes: number;
  txBytes: number;
  loopback: boolean;
}

/**
 * The host readings the collector turns into samples. The real source reads
 * them through systeminformation and node:os; tests pass fixed readings.
 */
export interface MetricSource {
  /** CPU time spent busy since the previous call, in percent of all cores (0..100). */
  cpuUsage(): Promise<number>;
  memory(): Promise<MemoryReading>;
  filesystems(): Promise<FilesystemReading[]>;
  networkCounters(): Promise<NetworkCounterReading[]>;
  /** 1, 5 and 15 minute load averages (all 0 on Windows). */
  loadAverage(): Promise<[number, number, number]>;
  /**
   * Opens a TCP connection to `host:port` and closes it again. Resolves with
   * the connect time in milliseconds, excluding the DNS lookup, or rejects
   * when the lookup or the connect fails or the signal aborts.
   */
  connectTcp(host: string, port: number, signal: AbortSignal): Promise<number>;
}

/** Reads this host through systeminformation and node:os. */
export function createSystemSource(): MetricSource {
  // systeminformation keeps the CPU counters of the previous currentLoad()
  // call in module state, so its first result is the average since boot.
  return {
    cpuUsage: async () => (await si.currentLoad()).currentLoad,

    memory: async () => {
      const memory = await si.mem();
      return { totalBytes: memory.total, activeBytes: memory.active };
    },

    filesystems: async () =>
      (await si.fsSize()).map((fs) => ({
        device: fs.fs,
        type: fs.type,
        mount: fs.mount,
        sizeBytes: fs.size,
        usedBytes: fs.used,
        availableBytes: fs.available,
      })),

    networkCounters: async () => {
      const [stats, interfaces] = await Promise.all([si.networkStats('*'), si.networkInterfaces()]);
      const internal = new Set(interfaces.filter((entry) => entry.internal).map((entry) => entry.iface));
      return stats.map((entry) => ({
        iface: entry.iface,
        rxBytes: entry.rx_bytes,
        txBytes: entry.tx_bytes,
        loopback: internal.has(entry.iface) || /^lo\d*$/.test(entry.iface),
      }));
    },

    loadAverage: async () => {
      const [one, five, fifteen] = loadavg();
      return [one ?? 0, five ?? 0, fifteen ?? 0];
    },

    connectTcp,
  };
}

/** Measures the TCP connect time to `host:port` in milliseconds; see MetricSource.connectTcp. */
export async function connectTcp(host: string, port: number, signal: AbortSignal): Promise<number> {
  const { address, family } = await untilAborted(lookup(host), signal);

  return new Promise<number>((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ host: address, port, family });

    const onAbort = (): void => {
      socket.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    socket.once('connect', () => {
      const elapsed = performance.now() - started;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(elapsed);
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(error);
    });
  });
}

/** Settles like `work`, or rejects with the signal's reason once it aborts first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
