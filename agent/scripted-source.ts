import type { MetricSource } from './source.js';

/**
 * A host whose cpu_usage follows a script, one value per collection (the
 * last value repeats), with fixed other readings; for end-to-end tests that
 * need a threshold crossing at a known moment.
 */
export function scriptedSource(cpuScript: () => number): MetricSource {
  return {
    cpuUsage: async () => cpuScript(),
    memory: async () => ({ totalBytes: 8e9, activeBytes: 2e9 }),
    filesystems: async () => [{ device: '/dev/vda1', type: 'ext4', mount: '/', sizeBytes: 100e9, usedBytes: 40e9, availableBytes: 60e9 }],
    networkCounters: async () => [],
    loadAverage: async () => [0.5, 0.4, 0.3],
    connectTcp: async () => 1.5,
  };
}
