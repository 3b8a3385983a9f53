import t, { type Test } from 'tap';
import { MemoryBus } from '../../pipeline/bus/memory-bus.js';
import { ManualClock } from '../../pipeline/clock/index.js';
import { silentLogger } from '../../pipeline/log/logger.js';
import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import type { IngestedBatch } from '../../pipeline/messages/metric-batch.js';
import { MemoryAgentRegistry } from '../../pipeline/state/memory-agent-registry.js';
import { duckdbConfigSchema } from '../../sinks/duckdb/config.js';
import { DuckDBStore } from '../../sinks/duckdb/duckdb-store.js';
import { createGatewayApp } from '../app.js';
import { gatewayConfigSchema } from '../config.js';
import { createTestSecurity } from '../test-support/security.js';
import { heatmapRoutes, MAX_MARKS } from './heatmap.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const MINUTE = 60_000;

function batch(agentId: string, tags: Record<string, string>, target: string, samples: Array<[value: number, ts: number]>): IngestedBatch {
  return { version: 1, agentId, tags, receivedAt: T0, samples: samples.map(([value, ts]) => ({ metric: 'latency_ms', value, ts, labels: { target } })) };
}

function outlierAlert(agentId: string, at: number, overrides: Partial<AlertEvent> = {}): AlertEvent {
  return {
    version: 1,
    fingerprint: `fp-latency-${agentId}-${at}`,
    sequence: 1,
    rule: 'LatencyOutlier',
    state: 'firing',
    severity: 'warning',
    agentId,
    labels: { alertname: 'LatencyOutlier', agent: agentId, target: 'api' },
    tags: { env: 'prod' },
    annotations: {},
    value: 4.25,
    activeAt: at,
    at,
    notify: [],
    outlierMetric: 'latency_ms',
    ...overrides,
  };
}

async function setup(t: Test) {
  const clock = new ManualClock(T0 + 3 * MINUTE + 30_000);
  const store = new DuckDBStore({ config: duckdbConfigSchema.parse({ path: ':memory:' }), logger: silentLogger });
  await store.init();
  t.teardown(() => store.close());
  await store.writeSamples([
    batch('web-1', { env: 'prod' }, 'api', [[12, T0], [100, T0 + 70_000]]),
    batch('web-2', { env: 'staging' }, 'db', [[12.5, T0 + 5_000], [0, T0 + 130_000]]),
  ]);
  await store.writeAlerts([outlierAlert('web-1', T0 + 70_000), outlierAlert('web-2', T0 + 80_000, { state: 'pending' })]);

  const app = heatmapRoutes({ store, clock, guards: [] });
  const get = async (path: string) => {
    const response = await app.request(path);
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  return { clock, store, get };
}

const HEATMAP = `/v1/heatmap?metric=latency_ms&from=2026-03-01T12:00:00Z&to=${T0 + 3 * MINUTE}&step=1m`;

t.test('heatmap route returns cells and marks', async (t) => {
  const { get } = await setup(t);
  const { status, body } = await get(`${HEATMAP}&bucketsPerDecade=1&min=1`);
  t.equal(status, 200);
  t.same(body, {
    metric: 'latency_ms',
    from: T0,
    to: T0 + 3 * MINUTE,
    step: MINUTE,
    bucketsPerDecade: 1,
    min: 1,
    buckets: [
      { index: 0, lower: null, upper: 10 },
      { index: 1, lower: 10, upper: 100 },
      { index: 2, lower: 100, upper: 1000 },
    ],
    cells: [
      { time: T0, bucket: 1, count: 2 },
      { time: T0 + MINUTE, bucket: 2, count: 1 },
      { time: T0 + 2 * MINUTE, bucket: 0, count: 1 },
    ],
    total: 4,
    marks: [{ ts: T0 + 70_000, agentId: 'web-1', value: 4.25, rule: 'LatencyOutlier' }],
    marksTruncated: false,
  });
});

t.test('heatmap route widens the range to whole buckets', async (t) => {
  const { get } = await setup(t);
  const { body } = await get('/v1/heatmap?metric=latency_ms&from=2026-03-01T13:00:30%2B01:00&to=2026-03-01T12:02:10Z&step=1m');
  t.equal(body.from, T0, 'from rounded down, with its time zone offset applied');
  t.equal(body.to, T0 + 3 * MINUTE, 'to rounded up');
  t.equal(body.total, 4, 'samples of the widened range count');
});

t.test('heatmap route applies defaults', async (t) => {
  const { get } = await setup(t);
  const { status, body } = await get('/v1/heatmap?metric=latency_ms');
  t.equal(status, 200);
  t.match(body, { from: T0 - 57 * MINUTE, to: T0 + 4 * MINUTE, step: MINUTE, bucketsPerDecade: 10, min: 0.001, total: 4 }, 'the hour before now at 1m, now rounded up');
});

t.test('heatmap route filters', async (t) => {
  const { get } = await setup(t);
  const prod = await get(`${HEATMAP}&filter=env=prod`);
  t.same(prod.body.cells, [{ time: T0, bucket: 10, count: 1 }, { time: T0 + MINUTE, bucket: 20, count: 1 }], 'by tag');
  t.equal(prod.body.marks.length, 1, 'marks of matching agents');

  const staging = await get(`${HEATMAP}&filter=tag.env=staging,label.target=db&filter=agent=web-2`);
  t.equal(staging.body.total, 2, 'by tag, label and agent over two filter parameters');
  t.same(staging.body.marks, [], 'no mark of another agent');

  const nobody = await get(`${HEATMAP}&filter=agent=web-1,env=staging`);
  t.same(nobody.body.cells, [], 'matchers that exclude each other');
  t.same(nobody.body.buckets, []);
});

t.test('heatmap route rejects malformed parameters', async (t) => {
  const { get } = await setup(t);
  const range = 'from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z';
  const cases: Array<[query: string, parameter: string, message: RegExp]> = [
    [`${range}&step=1m`, 'metric', /^metric is missing: name the metric to count, such as metric=latency_ms$/],
    [`metric=latency ms&${range}`, 'metric', /not a metric name: use letters, digits, _ and :/],
    ['metric=latency_ms&from=yesterday', 'from', /^from "yesterday" is not a time: give RFC 3339, such as from=2026-03-01T12:00:00Z, or milliseconds since the Unix epoch$/],
    ['metric=latency_ms&from=2026-02-30T00:00:00Z', 'from', /not a time/],
    ['metric=latency_ms&from=2026-03-01', 'from', /not a time/],
    ['metric=latency_ms&from=-5', 'from', /not a time/],
    ['metric=latency_ms&to=2026-03-01T12:00:00+01:00', 'to', /encode the \+ of a time zone offset as %2B/],
    ['metric=latency_ms&from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'to', /must be later than from/],
    [`metric=latency_ms&${range}&step=60`, 'step', /^step "60" is not a duration: write a number with a unit \(ms, s, m, h, d, w\), such as step=30s or step=1m$/],
    [`metric=latency_ms&${range}&step=0s`, 'step', /not a duration/],
    [`metric=latency_ms&${range}&filter=env`, 'filter', /filter matcher "env" is not name=value/],
    [`metric=latency_ms&${range}&filter=env=`, 'filter', /is not name=value/],
    [`metric=latency_ms&${range}&filter=1env=prod`, 'filter', /filter name "1env" is not a tag or label name/],
    [`metric=latency_ms&${range}&filter=env=prod,env=dev`, 'filter', /gives tag env two values, "prod" and "dev": give it once/],
    [`metric=latency_ms&${range}&filter=agent=a,agent=b`, 'filter', /two agents/],
    [`metric=latency_ms&${range}&bucketsPerDecade=0`, 'bucketsPerDecade', /^bucketsPerDecade "0" must be an integer from 1 to 100$/],
    [`metric=latency_ms&${range}&bucketsPerDecade=2.5`, 'bucketsPerDecade', /integer from 1 to 100/],
    [`metric=latency_ms&${range}&min=0`, 'min', /^min "0" is not a positive number: give the smallest value worth its own bucket, such as min=0.001$/],
    [`metric=latency_ms&${range}&min=`, 'min', /not a positive number/],
    [`metric=latency_ms&${range}&stepp=1m`, 'stepp', /^unknown parameter "stepp": did you mean step\?$/],
    [`metric=latency_ms&${range}&colour=red`, 'colour', /^unknown parameter "colour": use metric, from, to, step, filter, bucketsPerDecade, min$/],
  ];
  for (const [query, parameter, message] of cases) {
    const { status, body } = await get(`/v1/heatmap?${query}`);
    t.equal(status, 400, query);
    t.equal(body.error.code, 'invalid_query', `${query}: code`);
    t.same(body.error.issues.map((issue: { path: string }) => issue.path), [parameter], `${query}: names ${parameter}`);
    t.match(body.error.message, message, `${query}: message`);
  }
});

t.test('heatmap route caps the time buckets', async (t) => {
  const { get } = await setup(t);
  const { status, body } = await get('/v1/heatmap?metric=latency_ms&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&step=30s');
  t.equal(status, 400);
  t.equal(body.error.code, 'too_many_buckets');
  t.same(body.error.issues.map((issue: { path: string }) => issue.path), ['step']);
  t.equal(body.error.message, 'step=30s makes 2880 time buckets between from and to, more than the maximum of 2000: use step=1m or longer, or a shorter range');

  const atMaximum = await get('/v1/heatmap?metric=latency_ms&from=2026-03-01T00:00:00Z&to=2026-03-02T09:20:00Z&step=1m');
  t.equal(atMaximum.status, 200, '2,000 time buckets are accepted');
});

t.test('heatmap route truncates marks', async (t) => {
  const { store, clock } = await setup(t);
  await store.writeAlerts([outlierAlert('web-2', T0 + 10_000), outlierAlert('web-3', T0 + 90_000)]);
  const app = heatmapRoutes({ store, clock, guards: [], maxMarks: 2 });
  const body = (await (await app.request(HEATMAP)).json()) as Record<string, any>;
  t.same(body.marks.map((mark: { agentId: string }) => mark.agentId), ['web-2', 'web-1'], 'the oldest marks');
  t.equal(body.marksTruncated, true);

  const all = (await (await heatmapRoutes({ store, clock, guards: [] }).request(HEATMAP)).json()) as Record<string, any>;
  t.equal(all.marks.length, 3, `up to ${MAX_MARKS} by default`);
  t.equal(all.marksTruncated, false);
});

t.test('heatmap cell route lists agents', async (t) => {
  const { get } = await setup(t);
  const { status, body } = await get(`${HEATMAP.replace('/v1/heatmap?', '/v1/heatmap/cell?')}&time=${T0}&bucket=10`);
  t.equal(status, 200);
  t.same(body, {
    metric: 'latency_ms',
    from: T0,
    to: T0 + MINUTE,
    bucket: { index: 10, lower: 10, upper: 10 ** 1.1 },
    agents: [{ agentId: 'web-1', count: 1 }, { agentId: 'web-2', count: 1 }],
    truncated: false,
  });

  const limited = await get(`/v1/heatmap/cell?metric=latency_ms&step=1m&time=2026-03-01T12:00:00Z&bucket=10&limit=1`);
  t.same(limited.body.agents, [{ agentId: 'web-1', count: 1 }]);
  t.equal(limited.body.truncated, true, 'more agents than the limit');

  const filtered = await get(`/v1/heatmap/cell?metric=latency_ms&step=1m&time=${T0}&bucket=10&filter=env=staging`);
  t.same(filtered.body.agents, [{ agentId: 'web-2', count: 1 }], 'filter');

  const lowest = await get(`/v1/heatmap/cell?metric=latency_ms&step=1m&time=${T0 + 2 * MINUTE}&bucket=0&bucketsPerDecade=1&min=1`);
  t.same(lowest.body.bucket, { index: 0, lower: null, upper: 10 }, 'the lowest bucket has no lower bound');
  t.same(lowest.body.agents, [{ agentId: 'web-2', count: 1 }]);
});

t.test('heatmap cell route rejects malformed parameters', async (t) => {
  const { get } = await setup(t);
  const cell = 'metric=latency_ms&step=1m';
  const cases: Array<[query: string, parameter: string, message: RegExp]> = [
    [`${cell}&bucket=10`, 'time', /^time is missing/],
    [`${cell}&time=${T0 + 1_000}&bucket=10`, 'time', new RegExp(`is not the start of a time bucket of step 1m: use the \`time\` of a heatmap cell, such as time=${T0}$`)],
    [`${cell}&time=noon&bucket=10`, 'time', /not a time/],
    [`${cell}&time=${T0}`, 'bucket', /^bucket is missing/],
    [`${cell}&time=${T0}&bucket=ten`, 'bucket', /bucket "ten" must be an integer/],
    [`${cell}&time=${T0}&bucket=-31`, 'bucket', /bucket must be an integer bucket index of at least -30/],
    [`${cell}&time=${T0}&bucket=10&limit=0`, 'limit', /limit "0" must be an integer from 1 to 1000/],
    [`${cell}&time=${T0}&bucket=10&limit=1001`, 'limit', /from 1 to 1000/],
    [`step=1m&time=${T0}&bucket=10`, 'metric', /metric is missing/],
    [`${cell}&time=${T0}&bucket=10&limt=5`, 'limt', /^unknown parameter "limt": did you mean limit\?$/],
  ];
  for (const [query, parameter, message] of cases) {
    const { status, body } = await get(`/v1/heatmap/cell?${query}`);
    t.equal(status, 400, query);
    t.same(body.error.issues.map((issue: { path: string }) => issue.path), [parameter], `${query}: names ${parameter}`);
    t.match(body.error.message, message, `${query}: message`);
  }
});

t.test('heatmap routes respond 503 without a store', async (t) => {
  const app = heatmapRoutes({ clock: new ManualClock(T0), guards: [] });
  for (const path of [HEATMAP, `/v1/heatmap/cell?metric=latency_ms&step=1m&time=${T0}&bucket=10`]) {
    const response = await app.request(path);
    t.equal(response.status, 503, path);
    t.equal(((await response.json()) as { error: { code: string } }).error.code, 'heatmap_unavailable');
  }
});

t.test('heatmap routes sit behind the operator guard', async (t) => {
  const clock = new ManualClock(T0);
  const config = gatewayConfigSchema.parse({});
  const testSecurity = await createTestSecurity({ clock, config });
  const bus = new MemoryBus({ topics: [{ name: 'test.metrics', partitions: 1 }], capacityPerPartition: 10, publishTimeoutMs: 50, clock });
  t.teardown(async () => {
    await bus.close();
    await testSecurity.close();
  });
  const { store } = await setup(t);
  const app = createGatewayApp({ bus, metricsTopic: 'test.metrics', registry: new MemoryAgentRegistry(), config, clock, logger: silentLogger, security: testSecurity.security, heatmap: store });

  for (const path of [HEATMAP, `/v1/heatmap/cell?metric=latency_ms&step=1m&time=${T0}&bucket=10`]) {
    t.equal((await app.request(path)).status, 401, `${path} without a token`);
    const token = await testSecurity.tokenFor('dashboard', ['read']);
    t.equal((await app.request(path, { headers: { authorization: `Bearer ${token}` } })).status, 200, `${path} with a read token`);
  }
});
