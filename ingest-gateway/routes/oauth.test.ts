import { createLocalJWKSet, jwtVerify } from 'jose';
import t from 'tap';
import { ManualClock } from '../../pipeline/clock/index.js';
import { createTestApp } from '../test-support/gateway.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function setup(t: { teardown(cleanup: () => unknown): void }, config: Record<string, unknown> = {}) {
  const clock = new ManualClock(NOW);
  const gateway = await createTestApp({ clock, config });
  t.teardown(() => gateway.close());
  const { record, clientSecret } = await gateway.credentialFor('web-1', { group: 'edge', tags: { env: 'prod' } });
  const tokenRequest = (body: string, headers: Record<string, string> = FORM) => gateway.app.request('/oauth/token', { method: 'POST', headers, body });
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  return { gateway, clock, record, clientSecret, tokenRequest, basic };
}

t.test('POST /oauth/token issues a token with HTTP Basic', async (t) => {
  const { gateway, record, clientSecret, tokenRequest, basic } = await setup(t);
  const response = await tokenRequest('grant_type=client_credentials', { ...FORM, authorization: basic(record.clientId, clientSecret) });
  t.equal(response.status, 200);
  t.equal(response.headers.get('cache-control'), 'no-store');
  t.equal(response.headers.get('pragma'), 'no-cache');
  const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
  t.equal(body.token_type, 'Bearer');
  t.equal(body.expires_in, 900);
  t.equal(body.scope, 'metrics:write');

  // The published JWKS verifies the token, as any resource server would.
  const jwks = (await (await gateway.app.request('/.well-known/jwks.json')).json()) as { keys: Array<Record<string, unknown>> };
  t.equal(jwks.keys.length, 1);
  t.notOk('d' in jwks.keys[0]!, 'no private key material is published');
  const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(jwks as never), {
    issuer: 'fleetpulse',
    audience: 'fleetpulse-gateway',
    currentDate: new Date(NOW),
  });
  t.equal(protectedHeader.alg, 'EdDSA');
  t.equal(protectedHeader.typ, 'at+jwt');
  t.equal(protectedHeader.kid, jwks.keys[0]!.kid);
  t.match(payload, { sub: 'web-1', client_id: record.clientId, grp: 'edge', tags: { env: 'prod' }, scope: 'metrics:write', iat: NOW / 1_000, nbf: NOW / 1_000, exp: NOW / 1_000 + 900 });
  t.match(payload.jti, /^[0-9a-f-]{36}$/);
  t.equal(gateway.security.counters.value('fleetpulse_gateway_tokens_issued_total'), 1);
});

t.test('POST /oauth/token accepts credentials in the body', async (t) => {
  const { record, clientSecret, tokenRequest } = await setup(t);
  const response = await tokenRequest(`grant_type=client_credentials&client_id=${record.clientId}&client_secret=${clientSecret}&scope=metrics%3Awrite`);
  t.equal(response.status, 200);
});

t.test('POST /oauth/token rejects bad client credentials', async (t) => {
  const { gateway, record, clientSecret, tokenRequest, basic } = await setup(t);
  const expectInvalidClient = async (response: Response, description: string) => {
    t.equal(response.status, 401);
    t.equal(response.headers.get('www-authenticate'), 'Basic realm="fleetpulse", charset="UTF-8"');
    t.equal(response.headers.get('cache-control'), 'no-store');
    t.same(await response.json(), { error: 'invalid_client', error_description: description });
  };

  await expectInvalidClient(await tokenRequest('grant_type=client_credentials', { ...FORM, authorization: basic(record.clientId, 'wrong') }), 'client authentication failed');
  await expectInvalidClient(await tokenRequest('grant_type=client_credentials', { ...FORM, authorization: basic('fpc_unknown', clientSecret) }), 'client authentication failed');
  await expectInvalidClient(await tokenRequest('grant_type=client_credentials'), 'client authentication is missing: use HTTP Basic or client_id and client_secret in the body');

  await gateway.credentials.revoke([record.clientId], NOW);
  await expectInvalidClient(await tokenRequest('grant_type=client_credentials', { ...FORM, authorization: basic(record.clientId, clientSecret) }), 'client authentication failed');
  t.equal(gateway.security.counters.value('fleetpulse_gateway_token_errors_total', { error: 'invalid_client' }), 4);
});

t.test('POST /oauth/token rejects malformed requests', async (t) => {
  const { record, clientSecret, tokenRequest, basic } = await setup(t);
  const auth = { ...FORM, authorization: basic(record.clientId, clientSecret) };
  const cases: Array<[string, string, Record<string, string>, number, string, string]> = [
    ['missing grant_type', '', auth, 400, 'invalid_request', 'the grant_type parameter is missing; expected client_credentials'],
    ['other grant_type', 'grant_type=password&username=a&password=b', auth, 400, 'unsupported_grant_type', 'grant_type password is not supported; expected client_credentials'],
    ['repeated parameter', 'grant_type=client_credentials&grant_type=client_credentials', auth, 400, 'invalid_request', 'the parameter grant_type is repeated'],
    ['JSON body', '{"grant_type":"client_credentials"}', { 'content-type': 'application/json', authorization: auth.authorization }, 400, 'invalid_request', 'expected Content-Type: application/x-www-form-urlencoded, found application/json'],
    ['two client authentications', `grant_type=client_credentials&client_id=${record.clientId}`, auth, 400, 'invalid_request', 'send the client credentials either in the Authorization header or in the body, not both'],
    ['scope not granted', 'grant_type=client_credentials&scope=metrics%3Awrite%20admin', auth, 400, 'invalid_scope', 'scope admin is not granted to this client; it may request metrics:write'],
  ];
  for (const [name, body, headers, status, error, description] of cases) {
    const response = await tokenRequest(body, headers);
    t.equal(response.status, status, name);
    t.same(await response.json(), { error, error_description: description }, name);
  }
});
