import t, { type Test } from 'tap';
import { ManualClock } from '../../pipeline/clock/index.js';
import { silentLogger } from '../../pipeline/log/logger.js';
import { makeDecision } from '../../pipeline/messages/decision.js';
import { RedisSilenceStore } from '../../pipeline/state/silence-store.js';
import { testServices, uniqueName } from '../../pipeline/test-support/services.js';
import { duckdbConfigSchema } from '../../sinks/duckdb/config.js';
import { DuckDBStore } from '../../sinks/duckdb/duckdb-store.js';
import { alertingRoutes } from './alerting.js';

const T0 = Date.parse('2026-03-02T12:00:00Z');

async function setup(t: Test) {
  const clock = new ManualClock(T0);
  const silences = new RedisSilenceStore(testServices.redisUrl, `${uniqueName('test')}:`, { clock });
  const store = new DuckDBStore({ config: duckdbConfigSchema.parse({ path: ':memory:' }), logger: silentLogger });
  await store.init();
  t.teardown(async () => {
    await silences.close();
    await store.close();
  });
  const app = alertingRoutes({ silences, decisions: store, clock, readGuards: [], writeGuards: [] });
  const request = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(path, { method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
  };
  return { clock, silences, store, request };
}

const validSilence = { matchers: ['agent=web-1', 'alertname=~"Disk.*"'], ends_at: '2026-03-02T14:00:00Z', created_by: 'alice', comment: 'replacing a disk' };

t.test('silences API creates, reads and expires', async (t) => {
  const { clock, request } = await setup(t);
  const created = await request('POST', '/v1/silences', validSilence);
  t.equal(created.status, 201);
  t.equal(created.headers.get('location'), `/v1/silences/${created.body.id}`);
  t.match(created.body, {
    matchers: ['agent="web-1"', 'alertname=~"Disk.*"'],
    starts_at: '2026-03-02T12:00:00.000Z',
    ends_at: '2026-03-02T14:00:00.000Z',
    created_by: 'alice',
    comment: 'replacing a disk',
    status: 'active',
  });

  const pending = await request('POST', '/v1/silences', { ...validSilence, starts_at: '2026-03-02T13:00:00Z', matchers: [{ name: 'env', operator: '=', value: 'prod' }] });
  t.equal(pending.body.status, 'pending');

  const listed = await request('GET', '/v1/silences');
  t.same(listed.body.silences.map((silence: { id: string }) => silence.id), [created.body.id, pending.body.id]);
  t.same((await request('GET', '/v1/silences?status=pending')).body.silences.map((silence: { id: string }) => silence.id), [pending.body.id]);

  const fetched = await request('GET', `/v1/silences/${created.body.id}`);
  t.same(fetched.body, created.body);

  await clock.advance(60_000);
  const expired = await request('DELETE', `/v1/silences/${created.body.id}`);
  t.equal(expired.status, 200);
  t.equal(expired.body.status, 'expired');
  t.equal(expired.body.ends_at, '2026-03-02T12:01:00.000Z');
  t.same((await request('GET', '/v1/silences?status=active')).body.silences, [], 'no active silence left');
  t.same((await request('GET', '/v1/silences?status=expired')).body.silences.map((silence: { id: string }) => silence.id), [created.body.id], 'listed as expired');
});

t.test('silences API rejects invalid silences', async (t) => {
  const { request } = await setup(t);
  const bad = await request('POST', '/v1/silences', { matchers: ['env=~"(prod"', 'nolabel'], ends_at: '2026-03-02T11:00:00Z', created_by: '', comment: 'x', extra: 1 });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'invalid_silence');
  t.same(bad.body.error.issues.map((issue: { path: string }) => issue.path), ['extra', 'matchers[0]', 'matchers[1]', 'ends_at', 'created_by']);
  t.match(bad.body.error.issues[1].message, /invalid regular expression/);
  t.equal(bad.body.error.issues[0].message, 'unknown key; the keys are matchers, starts_at, ends_at, created_by, comment', 'a key far from every known one lists them');

  const misspelt = await request('POST', '/v1/silences', { ...validSilence, end_at: validSilence.ends_at });
  t.equal(misspelt.status, 400);
  t.same(misspelt.body.error.issues, [{ path: 'end_at', message: "unknown key; did you mean 'ends_at'?" }], 'a misspelt key gets a suggestion');

  const everything = await request('POST', '/v1/silences', { ...validSilence, matchers: ['env=~".*"'] });
  t.equal(everything.status, 400);
  t.match(everything.body.error.issues[0].message, /would silence every alert/);

  const notJson = await request('POST', '/v1/silences', '{');
  t.equal(notJson.status, 400);
  t.equal(notJson.body.error.code, 'invalid_json');

  const tooLarge = await request('POST', '/v1/silences', { ...validSilence, comment: 'x'.repeat(70_000) });
  t.equal(tooLarge.status, 413);
  t.equal(tooLarge.body.error.code, 'body_too_large');

  t.equal((await request('GET', '/v1/silences/nope')).status, 404);
  t.equal((await request('DELETE', '/v1/silences/nope')).status, 404);
  t.equal((await request('GET', '/v1/silences?status=old')).status, 400);
});

t.test("decisions API returns one alert's history", async (t) => {
  const { store, request } = await setup(t);
  const base = { fingerprint: 'a1b2c3', alertKey: `a1b2c3:${T0}:firing`, state: 'firing' as const, rule: 'DiskFull', agentId: 'web-1', receiver: 'oncall' };
  await store.writeDecisions([
    makeDecision({ ...base, ts: T0 - 2_000, reason: 'silenced', silenceId: 's-1', detail: 'silenced by alice' }),
    makeDecision({ ...base, ts: T0 - 1_000, reason: 'first_notification', notificationKey: 'n1' }),
    makeDecision({ ...base, fingerprint: 'other', ts: T0 - 1_000, reason: 'duplicate' }),
  ]);
  const history = await request('GET', '/v1/alerts/a1b2c3/decisions');
  t.equal(history.status, 200);
  t.same(history.body.decisions.map((decision: { reason: string }) => decision.reason), ['first_notification', 'silenced'], 'newest first, one alert');
  t.match(history.body.decisions[1], { silenceId: 's-1', receiver: 'oncall', time: new Date(T0 - 2_000).toISOString() });

  const limited = await request('GET', '/v1/alerts/a1b2c3/decisions?limit=1');
  t.equal(limited.body.decisions.length, 1);
  const ranged = await request('GET', `/v1/alerts/a1b2c3/decisions?from=${T0 - 1_500}&to=2026-03-02T12:00:00Z`);
  t.same(ranged.body.decisions.map((decision: { reason: string }) => decision.reason), ['first_notification']);
  t.equal((await request('GET', '/v1/alerts/a1b2c3/decisions?limit=0')).status, 400);
  t.equal((await request('GET', '/v1/alerts/a1b2c3/decisions?from=yesterday')).status, 400);
});
