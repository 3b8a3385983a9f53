import t from 'tap';
import { GatewayHttpClient } from '../../agent/http-client.js';
import { TokenClient, TokenRequestError } from '../../agent/token-client.js';
import { startTestGatewayServer } from '../../ingest-gateway/test-support/gateway.js';
import { ManualClock } from '../clock/index.js';
import { createLogger } from '../log/logger.js';

// Tests the agent's token client against the real gateway. They live here because only the
// composition root may import agent and gateway code together.
const START = Date.parse('2026-01-01T00:00:00Z');

t.test('token client renews before expiry', async (t) => {
  const gateway = await startTestGatewayServer();
  t.teardown(() => gateway.close());
  const { record, clientSecret } = await gateway.credentialFor('web-1');
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  const http = new GatewayHttpClient({ caFile: gateway.caFile });
  t.teardown(() => http.close());
  const clock = new ManualClock(START);
  const client = new TokenClient({ tokenUrl: `${gateway.url}/oauth/token`, clientId: record.clientId, clientSecret, agentId: 'web-1', http, clock, logger, requestTimeoutMs: 5_000 });

  const first = await client.token();
  t.equal(await client.token(), first, 'the same token while it is fresh');
  await clock.advance(0.75 * 900_000 - 1);
  t.equal(await client.token(), first, 'still the same token just before three quarters of its lifetime');
  await clock.advance(1);
  const renewed = await client.token();
  t.not(renewed, first, 'a new token at three quarters of its lifetime');

  t.same(lines.map((line) => line.msg), ['obtained an access token', 'renewed the access token']);
  for (const line of lines) {
    t.equal(line.agentId, 'web-1');
    t.equal(line.clientId, record.clientId);
    t.match(line.jti, /^[0-9a-f-]{36}$/);
  }
  const logged = JSON.stringify(lines);
  t.notOk(logged.includes(clientSecret), 'the secret is not logged');
  t.notOk(logged.includes(first.split('.')[2]!), 'the token is not logged');

  client.invalidate(renewed);
  t.not(await client.token(), renewed, 'a new token after the gateway rejected the held one');
});

t.test('token client reports a rejected request', async (t) => {
  const gateway = await startTestGatewayServer();
  t.teardown(() => gateway.close());
  const { record } = await gateway.credentialFor('web-1');
  const http = new GatewayHttpClient({ caFile: gateway.caFile });
  t.teardown(() => http.close());
  const client = new TokenClient({
    tokenUrl: `${gateway.url}/oauth/token`,
    clientId: record.clientId,
    clientSecret: 'wrong',
    agentId: 'web-1',
    http,
    clock: new ManualClock(START),
    logger: createLogger({ level: 'silent' }),
    requestTimeoutMs: 5_000,
  });
  await t.rejects(client.token(), new TokenRequestError('the token endpoint rejected the token request (invalid_client: client authentication failed); the client id or secret is wrong or was revoked: create new credentials with `fleetpulse credentials create`', 401));
});
