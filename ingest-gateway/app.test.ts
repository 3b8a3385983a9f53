import t from 'tap';
import { MemoryBus } from '../pipeline/bus/memory-bus.js';
import { ManualClock } from '../pipeline/clock/index.js';
import { silentLogger } from '../pipeline/log/logger.js';
import type { IngestedBatch } from '../pipeline/messages/metric-batch.js';
import { MemoryAgentRegistry } from '../pipeline/state/memory-agent-registry.js';
import { createGatewayApp } from './app.js';
import { gatewayConfigSchema } from './config.js';
import type { ErrorBody } from './problem.js';
import { createTestSecurity } from './test-support/security.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const TOPIC = 'test.metrics';

async function setup(t: { teardown(cleanup: () => unknown): void }, options: { capacity?: number; maxBodySize?: string } = {}) {
  const clock = new ManualClock(NOW);
  const bus = new MemoryBus({ topics: [{ name: TOPIC, partitions: 2 }], capacityPerPartition: options.capacity ?? 100, publishTimeoutMs: 50, clock });
  const registry = new MemoryAgentRegistry();
  const config = gatewayConfigSchema.parse({ max_body_size: options.maxBodySize ?? '1MiB' });
  const testSecurity = await createTestSecurity({ clock, config });
  t.teardown(() => testSecurity.close());
  const app = createGatewayApp({ bus, metricsTopic: TOPIC, registry, config, clock, logger: silentLogger, security: testSecurity.security });
  // Every request carries a token for the batch's agent, or for web-1 when the body names none.
  // Each agent keeps one token, because the gateway skips the asynchronous signature check after a
  // token's first use, so a request reaches the bus before the test moves the manual clock.
  const tokens = new Map<string, Promise<string>>();
  const tokenFor = (agentId: string): Promise<string> => {
    let token = tokens.get(agentId);
    if (!token) {
      token = testSecurity.tokenFor(agentId);
      tokens.set(agentId, token);
    }
    return token;
  };
  // The read routes need an operator token with the read scope.
  const readHeaders = async () => ({ authorization: `Bearer ${await testSecurity.tokenFor('ops', ['read'])}` });
  const gateway = Object.assign(app, { tokenFor, readHeaders });
  return { app: gateway, bus, registry, clock };
}

const validBatch = (overrides: Record<string, unknown> = {}) => ({
  version: 1,
  agentId: 'web-1',
  tags: { env: 'prod', region: 'eu-west' },
  samples: [
    { metric: 'cpu_usage', value: 42.5, ts: NOW - 1_000, labels: {} },
    { metric: 'disk_used_pct', value: 71, ts: NOW - 1_000, labels: { mount: '/' } },
  ],
  ...overrides,
});

type TestApp = Awaited<ReturnType<typeof setup>>['app'];

function agentOf(body: string): string {
  try {
    const agentId = (JSON.parse(body) as { agentId?: unknown }).agentId;
    return typeof agentId === 'string' ? agentId : 'web-1';
  } catch {
    return 'web-1';
  }
}

const post = async (app: TestApp, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  app.request('/v1/metrics', { method: 'POST', headers: { ...headers, authorization: `Bearer ${await app.tokenFor(agentOf(body))}` }, body });

async function errorOf(response: Response): Promise<ErrorBody['error']> {
  return ((await response.json()) as ErrorBody).error;
}

t.test('POST /v1/metrics accepts a valid batch', async (t) => {
  const { app, bus } = await setup(t);
  const consumed: IngestedBatch[] = [];
  await bus.subscribe({ topic: TOPIC, group: 'g', handle: async (records) => void consumed.push(...records.map((r) => JSON.parse(r.value) as IngestedBatch)) });

  const response = await post(app, JSON.stringify(validBatch()));
  t.equal(response.status, 202);
  t.same(await response.json(), { accepted: 2 });

  await new Promise((resolve) => setTimeout(resolve, 10));
  t.equal(consumed.length, 1);
  t.equal(consumed[0]!.agentId, 'web-1');
  t.equal(consumed[0]!.receivedAt, NOW);
  t.same(consumed[0]!.tags, { env: 'prod', region: 'eu-west', agent_group: 'default' }, 'the batch tags and the token group');
  t.same(consumed[0]!.samples[1]!.labels, { mount: '/' });
});

t.test('POST /v1/metrics defaults missing labels and tags', async (t) => {
  const { app, registry } = await setup(t);
  const response = await post(app, JSON.stringify({ version: 1, agentId: 'bare', samples: [{ metric: 'load1', value: 0.5, ts: NOW }] }));
  t.equal(response.status, 202);
  const agent = await registry.get('bare');
  t.same(agent?.tags, { agent_group: 'default' });
  t.same(agent?.latest[0]?.labels, {});
});

t.test('POST /v1/metrics rejects malformed JSON', async (t) => {
  const { app } = await setup(t);
  const response = await post(app, '{"version": 1, "agentId": ');
  t.equal(response.status, 400);
  const error = await errorOf(response);
  t.equal(error.code, 'malformed_json');
  t.match(error.message, /^request body is not valid JSON: /);
});

t.test('POST /v1/metrics rejects wrong types', async (t) => {
  const { app } = await setup(t);
  const body = validBatch({
    agentId: 7,
    tags: { env: 3 },
    samples: [{ metric: 'cpu usage', value: '42', ts: '2026-06-01', labels: [] }],
  });
  const response = await post(app, JSON.stringify(body));
  t.equal(response.status, 400);
  const error = await errorOf(response);
  t.equal(error.code, 'invalid_batch');
  const byPath = Object.fromEntries(error.issues!.map((issue) => [issue.path, issue.message]));
  t.equal(byPath.agentId, 'expected a non-empty string, found 7');
  t.equal(byPath['tags.env'], 'expected a string, found 3');
  t.match(byPath['samples[0].metric'], /^expected a metric name matching .* found "cpu usage"$/);
  t.equal(byPath['samples[0].value'], 'expected a number, found "42"');
  t.equal(byPath['samples[0].ts'], 'expected an integer of milliseconds since the Unix epoch, found "2026-06-01"');
  t.equal(byPath['samples[0].labels'], 'expected an object of string values, found an array');
});

t.test('POST /v1/metrics rejects missing agentId', async (t) => {
  const { app } = await setup(t);
  const { agentId: _omitted, ...body } = validBatch();
  const response = await post(app, JSON.stringify(body));
  t.equal(response.status, 400);
  const error = await errorOf(response);
  t.same(error.issues, [{ path: 'agentId', message: 'expected a non-empty string, found nothing' }]);
  t.match(error.message, /^invalid metric batch: agentId: expected a non-empty string/);
});

t.test('POST /v1/metrics rejects wrong version', async (t) => {
  const { app } = await setup(t);
  const response = await post(app, JSON.stringify(validBatch({ version: 2 })));
  t.equal(response.status, 400);
  t.same((await errorOf(response)).issues, [{ path: 'version', message: 'expected 1, found 2' }]);
});

t.test('POST /v1/metrics rejects NaN and Infinity', async (t) => {
  const { app } = await setup(t);

  // JSON has no NaN literal, so a bare NaN is a syntax error.
  const nan = await post(app, `{"version":1,"agentId":"a","samples":[{"metric":"m","value":NaN,"ts":${NOW}}]}`);
  t.equal(nan.status, 400);
  t.equal((await errorOf(nan)).code, 'malformed_json');

  // 1e999 is valid JSON that parses to Infinity.
  const infinity = await post(app, `{"version":1,"agentId":"a","samples":[{"metric":"m","value":1e999,"ts":${NOW}}]}`);
  t.equal(infinity.status, 400);
  t.same((await errorOf(infinity)).issues, [{ path: 'samples[0].value', message: 'must be a finite number, found Infinity' }]);

  const text = await post(app, JSON.stringify(validBatch({ samples: [{ metric: 'm', value: 'NaN', ts: NOW }] })));
  t.equal(text.status, 400);
  t.same((await errorOf(text)).issues, [{ path: 'samples[0].value', message: 'expected a number, found "NaN"' }]);
});

t.test('POST /v1/metrics rejects timestamps out of range', async (t) => {
  const { app } = await setup(t);
  const future = NOW + 24 * 3_600_000;
  const response = await post(
    app,
    JSON.stringify(validBatch({ samples: [{ metric: 'm', value: 1, ts: future }, { metric: 'm', value: 1, ts: 1_700_000_000 }, { metric: 'm', value: 1, ts: 1.5 }] })),
  );
  t.equal(response.status, 400);
  const issues = (await errorOf(response)).issues!;
  t.same(issues[0], {
    path: 'samples[0].ts',
    message: `must not be more than 600000 ms ahead of the gateway's clock, found ${new Date(future).toISOString()}; check the agent's clock`,
  });
  t.same(issues[1], {
    path: 'samples[1].ts',
    message: 'must not be before 2000-01-01T00:00:00Z, found 1700000000; send milliseconds, not seconds',
  });
  t.same(issues[2], { path: 'samples[2].ts', message: 'expected an integer of milliseconds since the Unix epoch, found 1.5' });
});

t.test('POST /v1/metrics rejects empty and oversized sample lists', async (t) => {
  const { app } = await setup(t);
  const empty = await post(app, JSON.stringify(validBatch({ samples: [] })));
  t.same((await errorOf(empty)).issues, [{ path: 'samples', message: 'must contain at least one sample' }]);

  const many = Array.from({ length: 10_001 }, () => ({ metric: 'm', value: 1, ts: NOW }));
  const tooMany = await post(app, JSON.stringify(validBatch({ samples: many })));
  t.equal(tooMany.status, 400);
  t.same((await errorOf(tooMany)).issues, [{ path: 'samples', message: 'must contain at most 10000 samples, found 10001; split the batch' }]);
});

t.test('POST /v1/metrics rejects an oversized body', async (t) => {
  const { app, bus } = await setup(t, { maxBodySize: '1KiB' });
  const big = JSON.stringify(validBatch({ samples: Array.from({ length: 40 }, () => ({ metric: 'cpu_usage', value: 1, ts: NOW })) }));
  t.ok(big.length > 1024);

  const declared = await post(app, big);
  t.equal(declared.status, 413);
  const error = await errorOf(declared);
  t.equal(error.code, 'payload_too_large');
  t.equal(error.message, 'request body exceeds the limit of 1024 bytes; send smaller batches');

  // Without Content-Length the limit applies while the body streams in.
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(big));
      controller.close();
    },
  });
  const chunked = await app.request('/v1/metrics', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', authorization: `Bearer ${await app.tokenFor('web-1')}` },
    body: stream,
    duplex: 'half',
  } as RequestInit);
  t.equal(chunked.status, 413);
  t.equal(bus.retained(TOPIC), 0, 'nothing reached the bus');
});

t.test('POST /v1/metrics rejects a wrong content type', async (t) => {
  const { app } = await setup(t);
  const response = await post(app, JSON.stringify(validBatch()), { 'content-type': 'text/plain' });
  t.equal(response.status, 415);
  t.same(await errorOf(response), { code: 'unsupported_media_type', message: 'expected Content-Type: application/json, found "text/plain"' });

  const missing = await post(app, JSON.stringify(validBatch()), {});
  t.equal(missing.status, 415);

  const withCharset = await post(app, JSON.stringify(validBatch()), { 'content-type': 'application/json; charset=utf-8' });
  t.equal(withCharset.status, 202);
});

t.test('POST /v1/metrics answers 503 when the bus is full', async (t) => {
  const { app, bus, clock, registry } = await setup(t, { capacity: 1 });
  const first = await post(app, JSON.stringify(validBatch()));
  t.equal(first.status, 202);

  const pending = post(app, JSON.stringify(validBatch({ agentId: 'web-1' })));
  await clock.advance(100);
  const second = await pending;
  t.equal(second.status, 503);
  t.equal(second.headers.get('retry-after'), '1');
  t.equal((await errorOf(second)).code, 'bus_unavailable');
  t.equal(bus.retained(TOPIC), 1, 'the rejected batch is not on the bus');
  t.equal((await registry.list()).length, 1);
});

t.test('GET /healthz and /readyz', async (t) => {
  const { app, bus } = await setup(t);
  t.equal((await app.request('/healthz')).status, 200);
  const ready = await app.request('/readyz');
  t.equal(ready.status, 200);
  t.same(await ready.json(), { status: 'ready' });

  await bus.close();
  const notReady = await app.request('/readyz');
  t.equal(notReady.status, 503);
  t.same(await notReady.json(), { status: 'not ready', reason: 'the bus is not reachable' });
  t.equal((await app.request('/healthz')).status, 200);
});

t.test('GET /v1/agents lists reporting agents', async (t) => {
  const { app } = await setup(t);
  await post(app, JSON.stringify(validBatch()));
  await post(app, JSON.stringify(validBatch({ agentId: 'db-1', tags: { role: 'db' } })));

  const headers = await app.readHeaders();
  const response = await app.request('/v1/agents', { headers });
  t.equal(response.status, 200);
  const { agents } = (await response.json()) as { agents: Array<{ agentId: string; lastSeen: number; tags: Record<string, string>; latest: unknown[] }> };
  t.same(agents.map((agent) => agent.agentId), ['db-1', 'web-1']);
  t.equal(agents[1]!.lastSeen, NOW);
  t.same(agents[1]!.tags, { env: 'prod', region: 'eu-west', agent_group: 'default' });
  t.same(agents[1]!.latest, [
    { metric: 'cpu_usage', labels: {}, value: 42.5, ts: NOW - 1_000 },
    { metric: 'disk_used_pct', labels: { mount: '/' }, value: 71, ts: NOW - 1_000 },
  ]);

  const dbAgent = await app.request('/v1/agents/db-1', { headers });
  t.equal(dbAgent.status, 200);
  const missing = await app.request('/v1/agents/nope', { headers });
  t.equal(missing.status, 404);
  t.equal((await errorOf(missing)).message, 'no agent with id "nope" has reported');
});

t.test('metrics route names misspelt keys', async (t) => {
  const { app } = await setup(t);
  const body = { ...validBatch(), tgs: { env: 'prod' }, samples: [{ metric: 'm', value: 1, ts: NOW - 1_000, lables: { mount: '/' }, colour: 'red' }] };
  const response = await post(app, JSON.stringify(body));
  t.equal(response.status, 400);
  const byPath = Object.fromEntries((await errorOf(response)).issues!.map((issue) => [issue.path, issue.message]));
  t.equal(byPath.tgs, "unknown key; did you mean 'tags'?");
  t.equal(byPath['samples[0].lables'], "unknown key; did you mean 'labels'?");
  t.equal(byPath['samples[0].colour'], 'unknown key; the keys are metric, value, ts, labels');
});

t.test('metrics route rejects reserved tag names', async (t) => {
  const { app } = await setup(t);
  const response = await post(app, '{"version":1,"agentId":"web-1","tags":{"__proto__":"x"},"samples":[{"metric":"m","value":1,"ts":' + (NOW - 1_000) + '}]}');
  t.equal(response.status, 400);
  const issues = (await errorOf(response)).issues!;
  t.same(issues, [{ path: 'tags.__proto__', message: "invalid name; names starting with '__' are reserved" }]);
});

t.test('unknown route answers 404 JSON', async (t) => {
  const { app } = await setup(t);
  const response = await app.request('/v2/metrics', { method: 'POST' });
  t.equal(response.status, 404);
  t.equal((await errorOf(response)).code, 'not_found');
});
