import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import t from 'tap';
import { ManualClock, systemClock } from '../../pipeline/clock/index.js';
import { RedisRateLimiter } from '../../pipeline/state/rate-limiter.js';
import { testServices, uniqueName } from '../../pipeline/test-support/services.js';
import { batchFor, createTestApp, startTestGatewayServer } from '../test-support/gateway.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

type Gateway = Awaited<ReturnType<typeof createTestApp>>;

const post = async (gateway: Gateway, agentId: string, now: number) =>
  gateway.app.request('/v1/metrics', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await gateway.tokenFor(agentId)}` },
    body: batchFor(agentId, now),
  });

const rateHeaders = (response: Response) => ({
  limit: response.headers.get('ratelimit-limit'),
  remaining: response.headers.get('ratelimit-remaining'),
  reset: response.headers.get('ratelimit-reset'),
  policy: response.headers.get('ratelimit-policy'),
  retryAfter: response.headers.get('retry-after'),
});

t.test('rate limit of 60 per minute per agent', async (t) => {
  const clock = new ManualClock(NOW);
  const gateway = await createTestApp({ clock });
  t.teardown(() => gateway.close());

  const first = await post(gateway, 'web-1', clock.now());
  t.equal(first.status, 202);
  t.same(rateHeaders(first), { limit: '60', remaining: '59', reset: '1', policy: '60;w=60', retryAfter: null });

  for (let i = 1; i < 60; i++) await post(gateway, 'web-1', clock.now());
  const limited = await post(gateway, 'web-1', clock.now());
  t.equal(limited.status, 429);
  t.same(rateHeaders(limited), { limit: '60', remaining: '0', reset: '60', policy: '60;w=60', retryAfter: '1' });
  t.equal(limited.headers.get('connection'), 'close');
  t.same(await limited.json(), {
    error: { code: 'rate_limited', message: 'agent web-1 exceeded 60 requests per 60 s on POST /v1/metrics; retry after 1 s' },
  });
  t.equal(gateway.bus.retained('test.metrics'), 60);

  t.equal((await post(gateway, 'web-2', clock.now())).status, 202, 'another agent has its own limit');
  await clock.advance(1_000);
  t.equal((await post(gateway, 'web-1', clock.now())).status, 202, 'one more request a second later');

  const scrape = { headers: { authorization: `Bearer ${await gateway.tokenFor('prometheus', ['read'])}` } };
  const metrics = await (await gateway.app.request('/metrics', scrape)).text();
  t.match(metrics, /^fleetpulse_gateway_rate_limited_total\{route="ingest",limit="agent"\} 1$/m);
});

t.test('rate limit per agent group', async (t) => {
  const clock = new ManualClock(NOW);
  const gateway = await createTestApp({ clock, config: { rate_limits: { groups: { bulk: { ingest: '2/1s' } } } } });
  t.teardown(() => gateway.close());
  await gateway.credentialFor('relay-1', { group: 'bulk' });

  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await post(gateway, 'relay-1', clock.now())).status);
  t.same(statuses, [202, 202, 429]);
  const limited = await post(gateway, 'relay-1', clock.now());
  t.same(rateHeaders(limited), { limit: '2', remaining: '0', reset: '1', policy: '2;w=1', retryAfter: '1' });
});

t.test('rate limit per source address', async (t) => {
  const clock = new ManualClock(NOW);
  const gateway = await createTestApp({ clock, config: { rate_limits: { routes: { read: { per_ip: '2/1m' } } } } });
  t.teardown(() => gateway.close());
  const read = { headers: { authorization: `Bearer ${await gateway.tokenFor('ops', ['read'])}` } };
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await gateway.app.request('/v1/agents', read)).status);
  t.same(statuses, [200, 200, 429]);
});

t.test('rate limits shared by two gateways on Redis', async (t) => {
  const prefix = `${uniqueName('test')}:`;
  const config = { rate_limits: { routes: { ingest: { per_agent: '3/1m' } } } };
  const replica = async () => {
    const rateLimiter = new RedisRateLimiter(testServices.redisUrl, prefix);
    const gateway = await createTestApp({ clock: systemClock, config, rateLimiter });
    t.teardown(async () => {
      await gateway.close();
      await rateLimiter.close();
    });
    return gateway;
  };
  const replicas = [await replica(), await replica()];

  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await post(replicas[i % 2]!, 'web-1', Date.now())).status);
  t.same(statuses, [202, 202, 202, 429], 'the fourth request is over the limit whichever replica gets it');

  const limited = await post(replicas[0]!, 'web-1', Date.now());
  t.same(rateHeaders(limited), { limit: '3', remaining: '0', reset: '60', policy: '3;w=60', retryAfter: '20' });
});

t.test('rate limit responds before the body', async (t) => {
  const gateway = await startTestGatewayServer({ config: { rate_limits: { routes: { ingest: { per_agent: '1/1m' } } } } });
  t.teardown(() => gateway.close());
  const token = await gateway.tokenFor('web-1');
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  t.equal((await gateway.request('/v1/metrics', { method: 'POST', headers, body: batchFor('web-1') })).status, 202);

  // Announce a 10 MB body, send only the headers, and read the response.
  const url = new URL(gateway.url);
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ca: readFileSync(gateway.caFile), servername: 'localhost' }, () => {
      socket.write(
        `POST /v1/metrics HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nContent-Length: 10000000\r\n\r\n`,
      );
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
  t.match(reply, /^HTTP\/1\.1 429 Too Many Requests\r\n/);
  t.match(reply, /\r\nretry-after: \d+\r\n/i);
  t.match(reply, /\r\nconnection: close\r\n/i);
  t.equal(gateway.bus.retained('test.metrics'), 1);
});
