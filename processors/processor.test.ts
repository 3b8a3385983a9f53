import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type Bus, BusUnavailableError } from '../pipeline/bus/bus.js';
import { MemoryBus } from '../pipeline/bus/memory-bus.js';
import { ManualClock } from '../pipeline/clock/index.js';
import { silentLogger } from '../pipeline/log/logger.js';
import { MemoryCheckpointStore } from '../pipeline/state/checkpoint-store.js';
import type { AlertEvent } from '../pipeline/messages/alert-event.js';
import type { IngestedBatch } from '../pipeline/messages/metric-batch.js';
import { eventually } from '../pipeline/test-support/services.js';
import { processorConfigSchema } from './config.js';
import { startProcessor } from './processor.js';
import { RuleFileError } from './rules/rule-set.js';

const T0 = Date.parse('2026-05-01T00:00:00Z');

function setup(rules: string) {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-processor-'));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, rules);
  const clock = new ManualClock(T0);
  const bus = new MemoryBus({ topics: [{ name: 'metrics', partitions: 1 }, { name: 'alerts', partitions: 1 }], capacityPerPartition: 100, publishTimeoutMs: 1_000 });
  const config = processorConfigSchema.parse({ rule_files: [file] });
  return { file, clock, bus, config };
}

const batch = (ts: number, cpu: number): string =>
  JSON.stringify({ version: 1, agentId: 'web-1', tags: {}, receivedAt: ts, samples: [{ metric: 'cpu_usage', value: cpu, ts, labels: {} }] } satisfies IngestedBatch);

async function collectAlerts(bus: MemoryBus): Promise<AlertEvent[]> {
  const alerts: AlertEvent[] = [];
  await bus.subscribe({ topic: 'alerts', group: 'test', handle: async (records) => void alerts.push(...records.map((record) => JSON.parse(record.value) as AlertEvent)) });
  return alerts;
}

t.test('processor publishes transitions of rule files', async (t) => {
  const { clock, bus, config } = setup('- { name: HighCPU, condition: cpu_usage > 90, severity: critical }');
  const processor = await startProcessor({ bus, metricsTopic: 'metrics', alertsTopic: 'alerts', group: 'p', config, receivers: [], checkpoints: new MemoryCheckpointStore(), clock, logger: silentLogger });
  t.teardown(() => processor.close());
  const alerts = await collectAlerts(bus);

  await bus.publish('metrics', [{ key: 'web-1', value: batch(T0, 95) }, { key: 'web-1', value: batch(T0 + 10_000, 20) }]);
  await eventually(() => (alerts.length === 2 ? true : undefined));
  t.same(alerts.map((alert) => [alert.state, alert.sequence]), [['firing', 1], ['resolved', 2]]);
});

t.test('processor rejects invalid rule files at startup', async (t) => {
  const { clock, bus, config } = setup('- { name: HighCPU, condition: "cpu_usage >", severity: critical }');
  const error = await startProcessor({ bus, metricsTopic: 'metrics', alertsTopic: 'alerts', group: 'p', config, receivers: [], checkpoints: new MemoryCheckpointStore(), clock, logger: silentLogger }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  t.ok(error instanceof RuleFileError);
  t.match((error as RuleFileError).message, /^invalid rule files:\n.*rules\.yml:1:/);
});

t.test('processor reload keeps old rules on error', async (t) => {
  const { file, clock, bus, config } = setup('- { name: HighCPU, condition: cpu_usage > 90, severity: critical }');
  const processor = await startProcessor({ bus, metricsTopic: 'metrics', alertsTopic: 'alerts', group: 'p', config, receivers: [], checkpoints: new MemoryCheckpointStore(), clock, logger: silentLogger });
  t.teardown(() => processor.close());
  const alerts = await collectAlerts(bus);

  writeFileSync(file, '- { name: HighCPU, condition: cpu_usage > , severity: critical }');
  t.equal(await processor.reloadRules(), false, 'a file with errors is not swapped in');
  await bus.publish('metrics', [{ key: 'web-1', value: batch(T0, 95) }]);
  await eventually(() => (alerts.length === 1 ? true : undefined));
  t.equal(alerts[0]!.rule, 'HighCPU', 'the previous rules still run');

  writeFileSync(file, '- { name: HighMemory, condition: mem_used_pct > 90, severity: warning }');
  t.equal(await processor.reloadRules(), true);
  await eventually(() => (alerts.length === 2 ? true : undefined));
  t.match(alerts[1], { rule: 'HighCPU', state: 'resolved', sequence: 2 }, 'a removed rule resolves its firing alert');

  await bus.publish('metrics', [{ key: 'web-1', value: JSON.stringify({ version: 1, agentId: 'web-1', tags: {}, receivedAt: T0, samples: [{ metric: 'mem_used_pct', value: 95, ts: T0 + 1_000, labels: {} }] }) }]);
  await eventually(() => (alerts.length === 3 ? true : undefined));
  t.equal(alerts[2]!.rule, 'HighMemory', 'the new rules run');
});

t.test('processor skips a redelivered batch', async (t) => {
  const { clock, bus, config } = setup(
    ['- { name: HighCPU, condition: cpu_usage > 90, severity: critical }', '- { name: TwoSamples, condition: "count(cpu_usage, 1m) >= 2", severity: warning }'].join('\n'),
  );
  let failures = 1;
  const flakyBus: Bus = {
    start: () => bus.start(),
    publish: async (topic, records) => {
      if (topic === 'alerts' && failures > 0) {
        failures--;
        throw new BusUnavailableError('alerts topic unavailable in this test');
      }
      await bus.publish(topic, records);
    },
    subscribe: (spec) => bus.subscribe(spec),
    offsetsForTime: (topic, timestamp) => bus.offsetsForTime(topic, timestamp),
    isReachable: () => bus.isReachable(),
    close: () => bus.close(),
  };
  const processor = await startProcessor({ bus: flakyBus, metricsTopic: 'metrics', alertsTopic: 'alerts', group: 'p', config, receivers: [], checkpoints: new MemoryCheckpointStore(), clock, logger: silentLogger });
  t.teardown(() => processor.close());
  const alerts = await collectAlerts(bus);

  await bus.publish('metrics', [{ key: 'web-1', value: batch(T0, 95) }]);
  await eventually(() => (alerts.length >= 1 ? true : undefined));
  await bus.drain(5_000);
  t.equal(failures, 0, 'the first publish failed');
  t.same(alerts.map((alert) => alert.rule), ['HighCPU'], 'the redelivered sample is not counted twice');
});
