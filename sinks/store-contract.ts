import type { Test } from 'tap';
import type { AlertEvent } from '../pipeline/messages/alert-event.js';
import { makeDecision } from '../pipeline/messages/decision.js';
import type { IngestedBatch } from '../pipeline/messages/metric-batch.js';
import { type HeatmapCell, type HeatmapQuery, MAX_TIME_BUCKETS } from '../pipeline/store/heatmap.js';
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

  heatmapContract(t, makeStore);
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
/** Three minutes of latency_ms from three agents; the comments give each value's bucket at 10 buckets per decade. */
const LATENCY: IngestedBatch[] = [
  batch('web-1', { env: 'prod', region: 'eu-1' }, [
    ['latency_ms', 12, T0, { target: 'api' }], // 10
    ['latency_ms', 12.5, T0 + 10 * SECOND, { target: 'api' }], // 10
    ['latency_ms', 100, T0 + 70 * SECOND, { target: 'api' }], // 20: a power of ten is the lower bound of its bucket
    ['latency_ms', 0, T0 + 130 * SECOND, { target: 'api' }], // lowest
    ['latency_ms', 999, T0 - 1, { target: 'api' }], // before from
    ['latency_ms', 999, T0 + 3 * MINUTE, { target: 'api' }], // at to, which is exclusive
    ['cpu_usage', 50, T0, { core: '0' }], // another metric
  ]),
  batch('web-2', { env: 'prod', region: 'us-1' }, [
    ['latency_ms', 150, T0 + 5 * SECOND, { target: 'api' }], // 21
    ['latency_ms', 11.5, T0 + 15 * SECOND, { target: 'api' }], // 10
    ['latency_ms', 11, T0 + 65 * SECOND, { target: 'api' }], // 10
    ['latency_ms', -2, T0 + 125 * SECOND, { target: 'api' }], // lowest
  ]),
  batch('db-1', { env: 'staging', region: 'eu-1' }, [
    ['latency_ms', 1000, T0 + 20 * SECOND, { target: 'db' }], // 30
    ['latency_ms', 0.5, T0 + 80 * SECOND, { target: 'db' }], // -4
  ]),
];
const THREE_MINUTES: HeatmapQuery = { metric: 'latency_ms', from: T0, to: T0 + 3 * MINUTE, step: MINUTE };

const cell = (time: number, bucket: number, count: number): HeatmapCell => ({ time, bucket, count });
const cellTotals = (cells: HeatmapCell[]): number => cells.reduce((sum, one) => sum + one.count, 0);

/**
 * Registers the tests of the heatmap queries. Both stores run the same
 * checks on the same data, so a passing run of both test files means they
 * return identical heatmaps.
 */
function heatmapContract(t: Test, makeStore: StoreFactory): void {
  t.test('store counts heatmap cells', async (t) => {
    const { store, settle } = await makeStore(t);
    await store.writeSamples(LATENCY);
    await settle();

    const heatmap = await store.queryHeatmap(THREE_MINUTES);
    t.same(heatmap.cells, [
      cell(T0, 10, 3),
      cell(T0, 21, 1),
      cell(T0, 30, 1),
      cell(T0 + MINUTE, -4, 1),
      cell(T0 + MINUTE, 10, 1),
      cell(T0 + MINUTE, 20, 1),
      cell(T0 + 2 * MINUTE, -30, 2),
    ]);
    t.equal(heatmap.total, 10, 'samples of other metrics and outside [from, to) are left out');
    t.match(heatmap, { metric: 'latency_ms', from: T0, to: T0 + 3 * MINUTE, step: MINUTE, bucketsPerDecade: 10, min: 0.001 }, 'the query with its defaults');

    t.equal(heatmap.buckets.length, 61, 'every bucket from the lowest to the highest non-empty one');
    t.same(heatmap.buckets[0], { index: -30, lower: null, upper: 10 ** (-29 / 10) }, 'the lowest bucket has no lower bound');
    t.same(heatmap.buckets[50], { index: 20, lower: 100, upper: 10 ** (21 / 10) });
    t.same(heatmap.buckets.at(-1), { index: 30, lower: 1000, upper: 10 ** (31 / 10) });
  });

  t.test('store heatmap takes a custom ladder', async (t) => {
    const { store, settle } = await makeStore(t);
    await store.writeSamples(LATENCY);
    await settle();

    const heatmap = await store.queryHeatmap({ ...THREE_MINUTES, bucketsPerDecade: 1, min: 1 });
    t.same(heatmap.buckets, [
      { index: 0, lower: null, upper: 10 },
      { index: 1, lower: 10, upper: 100 },
      { index: 2, lower: 100, upper: 1000 },
      { index: 3, lower: 1000, upper: 10000 },
    ]);
    t.same(heatmap.cells, [
      cell(T0, 1, 3),
      cell(T0, 2, 1),
      cell(T0, 3, 1),
      cell(T0 + MINUTE, 0, 1),
      cell(T0 + MINUTE, 1, 1),
      cell(T0 + MINUTE, 2, 1),
      cell(T0 + 2 * MINUTE, 0, 2),
    ], '0.5, 0 and -2 fall in the lowest bucket');
  });

  t.test('store filters the heatmap', async (t) => {
    const { store, settle } = await makeStore(t);
    await store.writeSamples(LATENCY);
    await settle();

    const prod = await store.queryHeatmap({ ...THREE_MINUTES, filter: { tags: { env: 'prod' } } });
    t.same(prod.cells, [cell(T0, 10, 3), cell(T0, 21, 1), cell(T0 + MINUTE, 10, 1), cell(T0 + MINUTE, 20, 1), cell(T0 + 2 * MINUTE, -30, 2)], 'by one tag');

    const prodEu = await store.queryHeatmap({ ...THREE_MINUTES, filter: { tags: { env: 'prod', region: 'eu-1' } } });
    t.same(prodEu.cells, [cell(T0, 10, 2), cell(T0 + MINUTE, 20, 1), cell(T0 + 2 * MINUTE, -30, 1)], 'by two tags');

    const db = await store.queryHeatmap({ ...THREE_MINUTES, filter: { labels: { target: 'db' } } });
    t.same(db.cells, [cell(T0, 30, 1), cell(T0 + MINUTE, -4, 1)], 'by label');

    const web2 = await store.queryHeatmap({ ...THREE_MINUTES, filter: { agentId: 'web-2', tags: { region: 'us-1' }, labels: { target: 'api' } } });
    t.equal(cellTotals(web2.cells), 4, 'by agent, tag and label');
    t.equal(web2.total, 4);
  });

  t.test('store returns empty heatmaps', async (t) => {
    const { store, settle } = await makeStore(t);
    await store.writeSamples(LATENCY);
    await settle();

    const empty = { buckets: [], cells: [], total: 0 };
    t.match(await store.queryHeatmap({ ...THREE_MINUTES, from: T0 + 86_400_000, to: T0 + 86_400_000 + 3 * MINUTE }), empty, 'a range without samples');
    t.match(await store.queryHeatmap({ ...THREE_MINUTES, metric: 'no_such_metric' }), empty, 'an unknown metric');
    t.match(await store.queryHeatmap({ ...THREE_MINUTES, filter: { agentId: 'web-2', tags: { env: 'staging' } } }), empty, 'matchers that exclude each other');
    t.match(await store.queryHeatmap({ ...THREE_MINUTES, filter: { tags: { rack: 'r1' } } }), empty, 'a tag no agent has');
    t.match(await store.queryHeatmap({ ...THREE_MINUTES, filter: { labels: { core: '0' } } }), empty, 'a label of another metric');
    t.match(await store.queryHeatmap({ ...THREE_MINUTES, filter: { tags: { Env: 'prod' } } }), empty, 'tag names are case-sensitive');

    const widest = await store.queryHeatmap({ ...THREE_MINUTES, to: T0 + MAX_TIME_BUCKETS * MINUTE });
    t.equal(widest.total, 11, 'the maximum number of time buckets is accepted');
  });

  t.test('store aligns time buckets to the epoch', async (t) => {
    const { store, settle } = await makeStore(t);
    const step = 7 * MINUTE;
    const at = (minutes: number): [string, number, number] => ['latency_ms', 5, T0 + minutes * MINUTE];
    // T0 (12:00) is a multiple of 7 minutes since the epoch; 13:00 is not, so buckets aligned to the hour would differ.
    await store.writeSamples([batch('web-1', {}, [at(0), at(0.5), at(6.99), at(7), at(61), at(69.99), at(70)])]);
    await settle();

    const heatmap = await store.queryHeatmap({ metric: 'latency_ms', from: T0 + 30 * SECOND, to: T0 + 70 * MINUTE, step });
    const time = (text: string): number => Date.parse(`2026-03-01T${text}:00Z`);
    t.same(heatmap.cells, [cell(time('12:00'), 6, 2), cell(time('12:07'), 6, 1), cell(time('12:56'), 6, 1), cell(time('13:03'), 6, 1)]);
  });

  t.test('store rejects invalid heatmap queries', async (t) => {
    const { store } = await makeStore(t);
    const cases: Array<[field: string, query: HeatmapQuery]> = [
      ['metric', { ...THREE_MINUTES, metric: '' }],
      ['metric', { ...THREE_MINUTES, metric: "latency_ms' OR '1'='1" }],
      ['from', { ...THREE_MINUTES, from: Number.NaN }],
      ['from', { ...THREE_MINUTES, from: -1 }],
      ['from', { ...THREE_MINUTES, from: T0 + 0.5 }],
      ['to', { ...THREE_MINUTES, to: T0 }],
      ['to', { ...THREE_MINUTES, to: T0 - MINUTE }],
      ['step', { ...THREE_MINUTES, step: 0 }],
      ['step', { ...THREE_MINUTES, step: 1.5 }],
      ['step', { ...THREE_MINUTES, to: T0 + (MAX_TIME_BUCKETS + 1) * MINUTE }],
      ['bucketsPerDecade', { ...THREE_MINUTES, bucketsPerDecade: 0 }],
      ['bucketsPerDecade', { ...THREE_MINUTES, bucketsPerDecade: 101 }],
      ['bucketsPerDecade', { ...THREE_MINUTES, bucketsPerDecade: 2.5 }],
      ['min', { ...THREE_MINUTES, min: 0 }],
      ['min', { ...THREE_MINUTES, min: Number.POSITIVE_INFINITY }],
      ['filter.tags', { ...THREE_MINUTES, filter: { tags: { 'env = env OR 1': 'x' } } }],
      ['filter.labels', { ...THREE_MINUTES, filter: { labels: { '1core': '0' } } }],
      ['filter.tags.env', { ...THREE_MINUTES, filter: { tags: { env: '' } } }],
      ['filter.agentId', { ...THREE_MINUTES, filter: { agentId: '' } }],
    ];
    for (const [field, query] of cases) {
      await t.rejects(store.queryHeatmap(query), { name: 'HeatmapQueryError', field }, `${field}: ${JSON.stringify(query)}`);
    }

    const tooMany = store.queryHeatmap({ ...THREE_MINUTES, from: T0, to: T0 + 86_400_000, step: SECOND });
    await t.rejects(tooMany, { message: /makes 86400 time buckets, more than the maximum of 2000; use a step of at least 43222 ms/ }, 'the message names a step that fits');

    await t.rejects(store.queryHeatmapCell({ ...THREE_MINUTES, bucket: -31 }), { name: 'HeatmapQueryError', field: 'bucket' }, 'below the lowest bucket');
    await t.rejects(store.queryHeatmapCell({ ...THREE_MINUTES, bucket: 1.5 }), { name: 'HeatmapQueryError', field: 'bucket' });
    await t.rejects(store.queryHeatmapCell({ ...THREE_MINUTES, bucket: 10, limit: 0 }), { name: 'HeatmapQueryError', field: 'limit' });
    await t.rejects(store.queryOutlierMarks({ metric: 'latency_ms', from: T0, to: T0, limit: 10 }), { name: 'HeatmapQueryError', field: 'to' });
    await t.rejects(store.queryOutlierMarks({ metric: 'latency_ms', from: T0, to: T0 + 1, limit: -1 }), { name: 'HeatmapQueryError', field: 'limit' });
  });

  t.test('store lists the agents of a heatmap cell', async (t) => {
    const { store, settle } = await makeStore(t);
    await store.writeSamples(LATENCY);
    await settle();

    const first = { metric: 'latency_ms', from: T0, to: T0 + MINUTE };
    t.same(await store.queryHeatmapCell({ ...first, bucket: 10 }), [{ agentId: 'web-1', count: 2 }, { agentId: 'web-2', count: 1 }], 'most samples first');
    t.same(await store.queryHeatmapCell({ ...first, bucket: 10, limit: 1 }), [{ agentId: 'web-1', count: 2 }], 'limit');
    t.same(await store.queryHeatmapCell({ ...first, bucket: 10, filter: { tags: { region: 'us-1' } } }), [{ agentId: 'web-2', count: 1 }], 'filter');
    t.same(await store.queryHeatmapCell({ ...first, bucket: 11 }), [], 'an empty cell');

    const third = { metric: 'latency_ms', from: T0 + 2 * MINUTE, to: T0 + 3 * MINUTE };
    t.same(await store.queryHeatmapCell({ ...third, bucket: -30 }), [{ agentId: 'web-1', count: 1 }, { agentId: 'web-2', count: 1 }], 'equal counts by agent id');

    const second = { metric: 'latency_ms', from: T0 + MINUTE, to: T0 + 2 * MINUTE };
    t.same(await store.queryHeatmapCell({ ...second, bucket: 0, bucketsPerDecade: 1, min: 1 }), [{ agentId: 'db-1', count: 1 }], 'the lowest bucket of a custom ladder');

    const heatmap = await store.queryHeatmap(THREE_MINUTES);
    for (const heatmapCell of heatmap.cells) {
      const { time, bucket, count } = heatmapCell;
      const agents = await store.queryHeatmapCell({ metric: 'latency_ms', from: time, to: time + MINUTE, bucket });
      t.equal(agents.reduce((sum, agent) => sum + agent.count, 0), count, `cell ${time}/${bucket} lists every sample`);
    }
  });

  t.test('store returns outlier marks', async (t) => {
    const { store, settle } = await makeStore(t);
    const outlier = { outlierMetric: 'latency_ms', rule: 'LatencyOutlier', severity: 'warning' as const, notify: [] };
    const web1 = alert(1, 'firing', T0 + 30 * SECOND, {
      ...outlier,
      fingerprint: 'fp-lat-web1',
      value: 4.25,
      labels: { alertname: 'LatencyOutlier', agent: 'web-1', target: 'api' },
      tags: { env: 'prod', region: 'eu-1' },
    });
    const db1 = alert(1, 'firing', T0 + 60 * SECOND, {
      ...outlier,
      fingerprint: 'fp-lat-db1',
      agentId: 'db-1',
      value: 5.5,
      labels: { alertname: 'LatencyOutlier', agent: 'db-1', target: 'db' },
      tags: { env: 'staging', region: 'eu-1' },
    });
    await store.writeAlerts([
      web1,
      db1,
      { ...web1, sequence: 2, state: 'resolved', at: T0 + 90 * SECOND },
      { ...web1, fingerprint: 'fp-lat-web2', agentId: 'web-2', state: 'pending', at: T0 + 40 * SECOND },
      { ...web1, fingerprint: 'fp-cpu-web1', outlierMetric: 'cpu_usage', at: T0 + 50 * SECOND },
      alert(1, 'firing', T0 + 45 * SECOND),
      { ...web1, fingerprint: 'fp-lat-web1-late', at: T0 + 3 * MINUTE },
    ]);
    await settle();

    const range = { metric: 'latency_ms', from: T0, to: T0 + 3 * MINUTE };
    const web1Mark = { ts: T0 + 30 * SECOND, agentId: 'web-1', value: 4.25, rule: 'LatencyOutlier' };
    const db1Mark = { ts: T0 + 60 * SECOND, agentId: 'db-1', value: 5.5, rule: 'LatencyOutlier' };
    t.same(await store.queryOutlierMarks(range), [web1Mark, db1Mark], 'firing transitions of the metric, oldest first');
    t.same(await store.queryOutlierMarks({ ...range, limit: 1 }), [web1Mark], 'limit');
    t.same(await store.queryOutlierMarks({ ...range, filter: { tags: { env: 'prod' } } }), [web1Mark], 'by tag');
    t.same(await store.queryOutlierMarks({ ...range, filter: { labels: { target: 'db' } } }), [db1Mark], 'by label');
    t.same(await store.queryOutlierMarks({ ...range, filter: { agentId: 'db-1' } }), [db1Mark], 'by agent');
    t.same(await store.queryOutlierMarks({ ...range, filter: { tags: { rack: 'r1' } } }), [], 'a tag no alert has');
    t.same(await store.queryOutlierMarks({ ...range, metric: 'disk_used_pct' }), [], 'no outlier rule reads the metric');

    const history = await store.queryAlerts({ ...WHOLE_DAY, fingerprint: 'fp-lat-web1' });
    t.same(history.map((event) => event.outlierMetric), ['latency_ms', 'latency_ms'], 'queryAlerts returns outlierMetric');
    const threshold = await store.queryAlerts({ ...WHOLE_DAY, fingerprint: 'fp-disk-web1' });
    t.notOk('outlierMetric' in threshold[0]!, 'and leaves it out when the event had none');
  });
}
