import type { Test } from 'tap';
import type { AlertEvent } from '../pipeline/messages/alert-event.js';
import { makeDecision } from '../pipeline/messages/decision.js';
import type { IngestedBatch } from '../pipeline/messages/metric-batch.js';
import type { DeliveryRecord, Store, StoredSample } from '../pipeline/store/store.js';
import type { DeliveryReader } from './store-queries.js';

export interface StoreUnderTest {
  store: Store & DeliveryReader;
  /** Resolves once queries see every write that has resolved (QuestDB applies its WAL asynchronously). */
  settle(): Promise<void>;
}

/** Creates an initialised store on fresh tables or a fresh file, and registers its teardown on `t`. */
export type StoreFactory = (t: Test) => Promise<StoreUnderTest>;

const T0 = Date.parse('2026-03-01T12:00:00Z');
const WHOLE_DAY = { from: T0 - 86_400_000, to: T0 + 86_400_000 };

function batch(agentId: string, tags: Record<string, string>, samples: Array<[metric: string, value: number, ts: number, labels?: Record<string, string>]>): IngestedBatch {
  return {
    version: 1,
    agentId,
    tags,
    receivedAt: T0 + 60_000,
    samples: samples.map(([metric, value, ts, labels]) => ({ metric, value, ts, labels: labels ?? {} })),
  };
}

function alert(sequence: number, state: AlertEvent['state'], at: number, overrides: Partial<AlertEvent> = {}): AlertEvent {
  return {
    version: 1,
    fingerprint: 'fp-disk-web1',
    sequence,
    rule: 'DiskFull',
    state,
    severity: 'critical',
    agentId: 'web-1',
    labels: { alertname: 'DiskFull', agent: 'web-1', mount: '/data' },
    tags: { env: 'prod', region: 'eu-west' },
    annotations: { summary: 'disk /data is 97% full', runbook: 'https://runbooks.example/disk' },
    notify: ['oncall'],
    value: 97.5,
    activeAt: T0,
    at,
    ...overrides,
  };
}

const byTsDescending = (a: StoredSample, b: StoredSample): number => b.ts - a.ts;

/**
 * Registers the store contract as tests. Each store's test file calls this
 * with a factory, so QuestDB and DuckDB are held to the same behaviour.
 */
export function storeContract(t: Test, makeStore: StoreFactory): void {
  t.test('store round-trips samples with tags and labels', async (t) => {
    const { store, settle } = await makeStore(t);
    const web = batch('web-1', { env: 'prod', region: 'eu-west' }, [
      ['cpu_usage', 41.5, T0, { core: '0' }],
      ['cpu_usage', 12.25, T0, { core: '1' }],
      ['load1', 0.5, T0 + 1_000],
    ]);
    const db = batch('db-1', { env: 'staging' }, [['disk_used_pct', 80, T0 + 2_000, { mount: '/data', fs: 'ext4' }]]);
    await store.writeSamples([web, db]);
    await settle();

    const found = await store.querySamples(WHOLE_DAY);
    t.equal(found.length, 4, 'every sample stored');
    t.same(found[0], { ts: T0 + 2_000, agentId: 'db-1', metric: 'disk_used_pct', value: 80, labels: { mount: '/data', fs: 'ext4' }, tags: { env: 'staging' } });
    t.same(found[1], { ts: T0 + 1_000, agentId: 'web-1', metric: 'load1', value: 0.5, labels: {}, tags: { env: 'prod', region: 'eu-west' } });

    const cpu = found.filter((sample) => sample.metric === 'cpu_usage').sort((a, b) => a.labels.core!.localeCompare(b.labels.core!));
    t.same(cpu, [
      { ts: T0, agentId: 'web-1', metric: 'cpu_usage', value: 41.5, labels: { core: '0' }, tags: { env: 'prod', region: 'eu-west' } },
      { ts: T0, agentId: 'web-1', metric: 'cpu_usage', value: 12.25, labels: { core: '1' }, tags: { env: 'prod', region: 'eu-west' } },
    ]);
  });

  t.test('store keeps values as doubles', async (t) => {
    const { store, settle } = await makeStore(t);
    // The first value written is integral: a store that typed the column from
    // it would truncate or reject the fractional values after it.
    await store.writeSamples([batch('web-1', {}, [['requests_total', 3, T0]])]);
    await store.writeSamples([batch('web-1', {}, [
      ['requests_total', 3.75, T0 + 1],
      ['requests_total', -0.001, T0 + 2],
      ['requests_total', 1e300, T0 + 3],
      ['requests_total', 2 ** 53 + 2, T0 + 4],
    ])]);
    await settle();

    const values = (await store.querySamples(WHOLE_DAY)).map((sample) => sample.value);
    t.same(values, [2 ** 53 + 2, 1e300, -0.001, 3.75, 3]);
    for (const value of values) t.equal(typeof value, 'number');
  });

  t.test('store returns newest first up to the limit', async (t) => {
    const { store, settle } = await makeStore(t);
    const samples = Array.from({ length: 10 }, (_, i) => ['uptime_seconds', i, T0 + i * 1_000] as [string, number, number]);
    // Written oldest-last, so the order of the result cannot come from insertion order.
    await store.writeSamples([batch('web-1', {}, samples.slice(5)), batch('web-1', {}, samples.slice(0, 5))]);
    await settle();

    const all = await store.querySamples(WHOLE_DAY);
    t.same(all.map((sample) => sample.ts), [...all].sort(byTsDescending).map((sample) => sample.ts), 'newest first');
    t.equal(all.length, 10);

    const newest = await store.querySamples({ ...WHOLE_DAY, limit: 3 });
    t.same(newest.map((sample) => sample.value), [9, 8, 7]);
  });

  t.test('store filters by agent, metric and time', async (t) => {
    const { store, settle } = await makeStore(t);
    await store.writeSamples([
      batch('web-1', {}, [['cpu_usage', 1, T0], ['cpu_usage', 2, T0 + 1_000], ['mem_used_pct', 3, T0 + 1_000]]),
      batch('web-2', {}, [['cpu_usage', 4, T0 + 1_000]]),
    ]);
    await settle();

    const web1 = await store.querySamples({ ...WHOLE_DAY, agentId: 'web-1' });
    t.same(web1.map((sample) => sample.value).sort(), [1, 2, 3], 'by agent');

    const cpu = await store.querySamples({ ...WHOLE_DAY, metric: 'cpu_usage' });
    t.same(cpu.map((sample) => sample.value).sort(), [1, 2, 4], 'by metric');

    const both = await store.querySamples({ ...WHOLE_DAY, agentId: 'web-1', metric: 'cpu_usage' });
    t.same(both.map((sample) => sample.value), [2, 1], 'by agent and metric');

    const fromInclusive = await store.querySamples({ from: T0 + 1_000, to: T0 + 86_400_000 });
    t.same(fromInclusive.map((sample) => sample.value).sort(), [2, 3, 4], 'from is inclusive');

    const toExclusive = await store.querySamples({ from: T0 - 1, to: T0 + 1_000 });
    t.same(toExclusive.map((sample) => sample.value), [1], 'to is exclusive');

    t.same(await store.querySamples({ ...WHOLE_DAY, agentId: 'nobody' }), [], 'unknown agent');
  });

  t.test('store ignores a replayed sample write', async (t) => {
    const { store, settle } = await makeStore(t);
    const batches = [
      batch('web-1', { env: 'prod' }, [['cpu_usage', 10, T0, { core: '0' }], ['cpu_usage', 11, T0, { core: '1' }], ['load1', 1, T0]]),
      batch('web-2', { env: 'prod' }, [['cpu_usage', 12, T0, { core: '0' }]]),
    ];
    await store.writeSamples(batches);
    await store.writeSamples(batches);
    await store.writeSamples([batches[1]!]);
    await settle();

    const found = await store.querySamples(WHOLE_DAY);
    t.equal(found.length, 4, 'one row per sample');
    t.same(found.map((sample) => sample.value).sort((a, b) => a - b), [1, 10, 11, 12]);
  });

  t.test('store accepts empty writes', async (t) => {
    const { store } = await makeStore(t);
    await store.writeSamples([]);
    await store.writeAlerts([]);
    await store.writeDeliveries([]);
    await store.writeDecisions([]);
    t.pass('empty writes resolve');
  });

  t.test('store round-trips alerts', async (t) => {
    const { store, settle } = await makeStore(t);
    const firing = alert(1, 'firing', T0 + 180_000);
    const resolved = alert(2, 'resolved', T0 + 600_000, { value: 41, annotations: {}, notify: [] });
    const other = alert(1, 'firing', T0 + 300_000, { fingerprint: 'fp-cpu-web2', rule: 'HighCPU', agentId: 'web-2', severity: 'warning', labels: { alertname: 'HighCPU', agent: 'web-2' }, tags: {} });
    await store.writeAlerts([firing, other]);
    await store.writeAlerts([resolved, firing]);
    await settle();

    const history = await store.queryAlerts({ ...WHOLE_DAY, fingerprint: 'fp-disk-web1' });
    t.same(history, [resolved, firing], 'newest first, replayed transition stored once');

    const web2 = await store.queryAlerts({ ...WHOLE_DAY, agentId: 'web-2' });
    t.same(web2, [other], 'by agent');

    const all = await store.queryAlerts(WHOLE_DAY);
    t.same(all.map((event) => `${event.fingerprint}:${event.sequence}`), ['fp-disk-web1:2', 'fp-cpu-web2:1', 'fp-disk-web1:1']);

    const limited = await store.queryAlerts({ ...WHOLE_DAY, limit: 1 });
    t.same(limited, [resolved], 'limit');

    const window = await store.queryAlerts({ from: T0, to: T0 + 300_000 });
    t.same(window, [firing], 'time range');
  });

  t.test('store writes deliveries', async (t) => {
    const { store, settle } = await makeStore(t);
    const delivered: DeliveryRecord = {
      ts: T0 + 1_000,
      idempotencyKey: 'fp-disk-web1:1:oncall',
      fingerprint: 'fp-disk-web1',
      receiver: 'oncall',
      channel: 'webhook',
      outcome: 'delivered',
      attempts: 2,
    };
    const failed: DeliveryRecord = {
      ts: T0 + 2_000,
      idempotencyKey: 'fp-disk-web1:1:chat',
      fingerprint: 'fp-disk-web1',
      receiver: 'chat',
      channel: 'webhook',
      outcome: 'failed',
      attempts: 5,
      error: 'HTTP 503 Service Unavailable',
    };
    await store.writeDeliveries([delivered, failed]);
    await store.writeDeliveries([failed]);
    await settle();

    t.same(await store.queryDeliveries({ ...WHOLE_DAY, fingerprint: 'fp-disk-web1' }), [failed, delivered], 'newest first, replay stored once');
    t.same(await store.queryDeliveries({ ...WHOLE_DAY, idempotencyKey: 'fp-disk-web1:1:oncall' }), [delivered], 'by idempotency key');
  });

  t.test('store round-trips decisions', async (t) => {
    const { store, settle } = await makeStore(t);
    const base = { fingerprint: 'fp-disk-web1', alertKey: `fp-disk-web1:${T0}:firing`, state: 'firing' as const, rule: 'DiskFull', agentId: 'web-1' };
    const silenced = makeDecision({ ...base, ts: T0 + 1_000, reason: 'silenced', receiver: 'oncall', groupKey: 'root:{alertname="DiskFull"}', silenceId: 'sil-1', detail: 'maintenance of web-1' });
    const notified = makeDecision({ ...base, ts: T0 + 2_000, reason: 'first_notification', receiver: 'oncall', groupKey: 'root:{alertname="DiskFull"}', notificationKey: 'n-1' });
    const delivered = makeDecision({ ...base, ts: T0 + 3_000, reason: 'delivered', receiver: 'oncall', notificationKey: 'n-1' });
    const inhibited = makeDecision({ ...base, ts: T0 + 3_000, reason: 'inhibited', receiver: 'chat', inhibitedBy: 'fp-down-web1' });
    const blackout = makeDecision({ ...base, ts: T0 + 4_000, reason: 'blackout_window', receiver: 'chat', blackoutWindow: 'weekend' });
    const beforeRouting = makeDecision({ ...base, ts: T0 + 5_000, reason: 'duplicate' });
    const other = makeDecision({ ...base, fingerprint: 'fp-cpu-web2', agentId: 'web-2', rule: 'HighCPU', ts: T0 + 2_500, reason: 'flapping', receiver: 'oncall' });
    await store.writeDecisions([silenced, notified, other]);
    await store.writeDecisions([delivered, inhibited, blackout, beforeRouting, silenced]);
    await settle();

    const history = await store.queryDecisions({ ...WHOLE_DAY, fingerprint: 'fp-disk-web1' });
    t.equal(history.length, 6, 'replayed decision stored once');
    t.same(history[0], beforeRouting, 'newest first, optional fields absent');
    t.same(history[1], blackout);
    t.same(history.at(-1), silenced, 'silence id and detail kept');
    t.same(
      history.slice(2, 4).sort((a, b) => a.reason.localeCompare(b.reason)),
      [delivered, inhibited],
      'same timestamp, both kept',
    );
    t.same(await store.queryDecisions({ ...WHOLE_DAY, fingerprint: 'fp-cpu-web2' }), [other], 'by fingerprint');
    t.same((await store.queryDecisions({ ...WHOLE_DAY, limit: 2 })).map((decision) => decision.reason), ['duplicate', 'blackout_window'], 'limit');
    t.same((await store.queryDecisions({ from: T0 + 2_000, to: T0 + 3_000 })).map((decision) => decision.reason).sort(), ['first_notification', 'flapping'], 'time range');
  });
}
