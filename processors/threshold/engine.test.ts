import t from 'tap';
import type { IngestedBatch } from '../../pipeline/messages/metric-batch.js';
import { thresholdRuleSchema } from './config.js';
import { ThresholdEngine } from './engine.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

const batch = (agentId: string, samples: Array<[string, number, number, Record<string, string>?]>): IngestedBatch => ({
  version: 1,
  agentId,
  tags: { env: 'prod' },
  receivedAt: T0,
  samples: samples.map(([metric, value, ts, labels]) => ({ metric, value, ts, labels: labels ?? {} })),
});

const rule = (input: Record<string, unknown>) => thresholdRuleSchema.parse({ name: 'HighCPU', metric: 'cpu_usage', op: '>', threshold: 90, ...input });

t.test('ThresholdEngine fires and resolves once each', async (t) => {
  const engine = new ThresholdEngine([rule({ severity: 'critical', notify: ['oncall'] })]);
  t.same(engine.observe(batch('web-1', [['cpu_usage', 50, T0]])), []);

  const firing = engine.observe(batch('web-1', [['cpu_usage', 95, T0 + 10_000], ['cpu_usage', 97, T0 + 20_000]]));
  t.equal(firing.length, 1);
  t.match(firing[0], {
    state: 'firing',
    sequence: 1,
    rule: 'HighCPU',
    severity: 'critical',
    agentId: 'web-1',
    value: 95,
    activeAt: T0 + 10_000,
    at: T0 + 10_000,
    tags: { env: 'prod' },
    labels: { alertname: 'HighCPU', agent: 'web-1' },
    notify: ['oncall'],
  });

  const resolved = engine.observe(batch('web-1', [['cpu_usage', 40, T0 + 30_000]]));
  t.equal(resolved.length, 1);
  t.match(resolved[0], { state: 'resolved', sequence: 2, value: 40, activeAt: T0 + 10_000, at: T0 + 30_000 });
  t.equal(resolved[0]!.fingerprint, firing[0]!.fingerprint);
});

t.test('ThresholdEngine keeps series apart', async (t) => {
  const engine = new ThresholdEngine([rule({ name: 'DiskFull', metric: 'disk_used_pct', threshold: 80 })]);
  const events = engine.observe(batch('db-1', [
    ['disk_used_pct', 85, T0, { mount: '/' }],
    ['disk_used_pct', 20, T0, { mount: '/data' }],
  ]));
  t.equal(events.length, 1);
  t.same(events[0]!.labels, { mount: '/', alertname: 'DiskFull', agent: 'db-1' });

  const other = engine.observe(batch('db-2', [['disk_used_pct', 85, T0, { mount: '/' }]]));
  t.not(other[0]!.fingerprint, events[0]!.fingerprint, 'another agent is another alert');
});

t.test('ThresholdEngine ignores stale samples', async (t) => {
  const engine = new ThresholdEngine([rule({})]);
  engine.observe(batch('web-1', [['cpu_usage', 95, T0 + 10_000]]));
  t.same(engine.observe(batch('web-1', [['cpu_usage', 10, T0 + 5_000]])), [], 'an older sample cannot resolve');
});

t.test('ThresholdEngine orders samples within a batch', async (t) => {
  const engine = new ThresholdEngine([rule({})]);
  const events = engine.observe(batch('web-1', [['cpu_usage', 10, T0 + 2_000], ['cpu_usage', 95, T0 + 1_000]]));
  t.same(events.map((event) => event.state), ['firing', 'resolved']);
});

t.test('ThresholdEngine applies label match', async (t) => {
  const engine = new ThresholdEngine([rule({ metric: 'disk_used_pct', match: { mount: '/' } })]);
  t.same(engine.observe(batch('a', [['disk_used_pct', 99, T0, { mount: '/data' }]])), []);
  t.equal(engine.observe(batch('a', [['disk_used_pct', 99, T0, { mount: '/' }]])).length, 1);
});

t.test('thresholdRuleSchema rejects bad rules', async (t) => {
  const result = thresholdRuleSchema.safeParse({ name: '1bad', metric: 'cpu usage', op: '=>', threshold: 'high' });
  t.equal(result.success, false);
  t.same(result.error!.issues.map((issue) => issue.path.join('.')).sort(), ['metric', 'name', 'op', 'threshold']);
});
