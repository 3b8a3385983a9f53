import { type CryptoKey, generateKeyPair, SignJWT } from 'jose';
import t, { type Test } from 'tap';
import { ManualClock } from '../../pipeline/clock/index.js';
import { batchFor, createTestApp } from '../test-support/gateway.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const SECONDS = NOW / 1_000;

async function setup(t: { teardown(cleanup: () => unknown): void }) {
  const clock = new ManualClock(NOW);
  const gateway = await createTestApp({ clock });
  t.teardown(() => gateway.close());
  const post = (authorization: string | undefined, agentId = 'web-1') =>
    gateway.app.request('/v1/metrics', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: batchFor(agentId, clock.now()),
    });
  return { gateway, clock, post };
}

/** Signs claims with the gateway's current key, or with `key` under the same kid. */
async function sign(gateway: Awaited<ReturnType<typeof setup>>['gateway'], claims: Record<string, unknown>, options: { audience?: string; key?: CryptoKey; nbf?: number; exp?: number } = {}) {
  const { kid, privateKey } = gateway.security.keys.signingKey();
  const { record } = await gateway.credentialFor('web-1');
  return new SignJWT({ client_id: record.clientId, scope: 'metrics:write', grp: 'default', tags: {}, ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
    .setIssuer('fleetpulse')
    .setAudience(options.audience ?? 'fleetpulse-gateway')
    .setSubject('web-1')
    .setJti('00000000-0000-4000-8000-000000000000')
    .setIssuedAt(SECONDS)
    .setNotBefore(options.nbf ?? SECONDS)
    .setExpirationTime(options.exp ?? SECONDS + 900)
    .sign(options.key ?? privateKey);
}

async function expectInvalidToken(t: Test, response: Response, description: string): Promise<void> {
  t.equal(response.status, 401);
  t.equal(response.headers.get('www-authenticate'), `Bearer error="invalid_token", error_description="${description}"`);
  t.same(await response.json(), { error: { code: 'invalid_token', message: description } });
}


t.test('bearer auth without a token', async (t) => {
  const { post, gateway } = await setup(t);
  const response = await post(undefined);
  t.equal(response.status, 401);
  t.equal(response.headers.get('www-authenticate'), 'Bearer');
  t.equal(response.headers.get('connection'), 'close');
  t.equal((await response.json() as { error: { code: string } }).error.code, 'missing_token');
  t.equal(gateway.bus.retained('test.metrics'), 0);
});

t.test('bearer auth token expiry with the clock', async (t) => {
  const { gateway, clock, post } = await setup(t);
  const used = await gateway.tokenFor('web-1');
  const unused = (await gateway.security.issuer.issue((await gateway.credentialFor('web-1')).record, ['metrics:write'])).token;
  t.equal((await post(`Bearer ${used}`)).status, 202, 'valid when issued');

  // exp is 15 minutes after issue, and the default clock tolerance is 5 s.
  await clock.advance(900_000 + 4_000);
  t.equal((await post(`Bearer ${used}`)).status, 202, 'still valid within the clock tolerance');

  await clock.advance(1_000);
  const description = 'the token expired at 2026-06-01T12:15:00.000Z; request a new one';
  await expectInvalidToken(t, await post(`Bearer ${used}`), description);
  await expectInvalidToken(t, await post(`Bearer ${unused}`), description);
  t.equal(gateway.security.counters.value('fleetpulse_gateway_auth_rejected_total', { route: 'ingest', error: 'invalid_token' }), 2);
});

t.test('bearer auth rejects a token not yet valid', async (t) => {
  const { gateway, post } = await setup(t);
  const token = await sign(gateway, {}, { nbf: SECONDS + 600, exp: SECONDS + 1_200 });
  await expectInvalidToken(t, await post(`Bearer ${token}`), 'the token is not valid before 2026-06-01T12:10:00.000Z');
});

t.test('bearer auth rejects a wrong signature', async (t) => {
  const { gateway, post } = await setup(t);
  const { privateKey } = await generateKeyPair('EdDSA');
  const token = await sign(gateway, {}, { key: privateKey });
  await expectInvalidToken(t, await post(`Bearer ${token}`), 'the token signature is invalid');
});

t.test('bearer auth rejects a wrong audience', async (t) => {
  const { gateway, post } = await setup(t);
  const token = await sign(gateway, {}, { audience: 'another-service' });
  await expectInvalidToken(t, await post(`Bearer ${token}`), "the token's audience is not fleetpulse-gateway");
});

t.test('bearer auth rejects malformed tokens', async (t) => {
  const { post } = await setup(t);
  await expectInvalidToken(t, await post('Bearer not.a.jwt'), 'the token is malformed; expected a signed JWT');
  const basic = await post('Basic dXNlcjpwYXNz');
  t.equal(basic.status, 401);
  t.equal(basic.headers.get('www-authenticate'), 'Bearer error="invalid_request", error_description="the Authorization header is not a Bearer token"');
});

t.test('bearer auth rejects a revoked token', async (t) => {
  const { gateway, clock, post } = await setup(t);
  const token = await gateway.tokenFor('web-1');
  t.equal((await post(`Bearer ${token}`)).status, 202);

  const { record } = await gateway.credentialFor('web-1');
  await gateway.credentials.revoke([record.clientId], NOW + 1_000);
  // The revocation list is reread every 2 s (auth.revocation_refresh).
  await clock.advance(2_000);
  await expectInvalidToken(t, await post(`Bearer ${token}`), `the credentials ${record.clientId} of this token were revoked at 2026-06-01T12:00:01.000Z`);
});

t.test('bearer auth requires the metrics:write scope', async (t) => {
  const { gateway, post } = await setup(t);
  const token = await gateway.tokenFor('web-1', ['agents:read']);
  const response = await post(`Bearer ${token}`);
  t.equal(response.status, 403);
  t.equal(response.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", error_description="the token lacks the scope metrics:write; request a token with credentials created with --scope metrics:write", scope="metrics:write"');
});

t.test('bearer auth rejects a batch of another agent', async (t) => {
  const { gateway, post } = await setup(t);
  const response = await post(`Bearer ${await gateway.tokenFor('web-1')}`, 'web-2');
  t.equal(response.status, 403);
  t.same(await response.json(), {
    error: {
      code: 'agent_mismatch',
      message: 'the batch is for agent "web-2" but the access token is for agent "web-1"; an agent may send only its own metrics',
    },
  });
  t.equal(gateway.bus.retained('test.metrics'), 0);
});
