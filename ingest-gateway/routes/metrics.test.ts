import t from 'tap';
import type { IngestedBatch } from '../../pipeline/messages/metric-batch.js';
import { startTestGatewayServer, TEST_TOPIC } from '../test-support/gateway.js';

t.test('POST /v1/metrics publishes the final tags', async (t) => {
  const gateway = await startTestGatewayServer({
    config: {
      tagging: {
        rules: [
          // The test connects over loopback, so only the first rule's networks contain the peer address.
          { match: { ip: ['127.0.0.0/8', '::1'] }, tags: { dc: 'loopback', env: 'rule' } },
          { match: { ip: '192.0.2.0/24' }, tags: { dc: 'elsewhere' } },
          { match: { hostname: 'db-.*\\.example\\.com' }, tags: { role: 'db' } },
        ],
      },
    },
  });
  t.teardown(() => gateway.close());
  const consumed: IngestedBatch[] = [];
  await gateway.bus.subscribe({ topic: TEST_TOPIC, group: 'test', handle: async (records) => void consumed.push(...records.map((record) => JSON.parse(record.value) as IngestedBatch)) });

  await gateway.credentialFor('db-1', { group: 'databases', tags: { owner: 'dba-team' } });
  const token = await gateway.tokenFor('db-1');
  const host = { hostname: 'db-1.example.com', os: 'Debian GNU/Linux', osRelease: '12', kernel: '6.1.0-18-amd64', arch: 'x64', platform: 'linux', future_fact: 'dropped' };
  const batch = { version: 1, agentId: 'db-1', tags: { env: 'agent', owner: 'me', rack: 'r7' }, host, samples: [{ metric: 'cpu_usage', value: 3, ts: Date.now() }] };

  const response = await gateway.request('/v1/metrics', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(batch),
  });
  t.equal(response.status, 202, response.body);

  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(consumed.length, 1);
  t.same(consumed[0]!.tags, {
    rack: 'r7',
    hostname: 'db-1.example.com',
    os: 'Debian GNU/Linux',
    os_release: '12',
    kernel: '6.1.0-18-amd64',
    arch: 'x64',
    platform: 'linux',
    dc: 'loopback',
    env: 'rule',
    role: 'db',
    owner: 'dba-team',
    agent_group: 'databases',
  });
  t.same(consumed[0]!.host, { hostname: 'db-1.example.com', os: 'Debian GNU/Linux', osRelease: '12', kernel: '6.1.0-18-amd64', arch: 'x64', platform: 'linux' }, 'unknown host facts are dropped');
});

t.test('POST /v1/metrics rejects invalid host facts', async (t) => {
  const gateway = await startTestGatewayServer();
  t.teardown(() => gateway.close());
  const token = await gateway.tokenFor('web-1');
  const batch = { version: 1, agentId: 'web-1', host: { hostname: '', os: 7, kernel: 'a\nb' }, samples: [{ metric: 'cpu_usage', value: 3, ts: Date.now() }] };

  const response = await gateway.request('/v1/metrics', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(batch),
  });

  t.equal(response.status, 400);
  const { error } = JSON.parse(response.body) as { error: { code: string; issues: Array<{ path: string; message: string }> } };
  t.equal(error.code, 'invalid_batch');
  t.same(error.issues, [
    { path: 'host.hostname', message: 'expected a non-empty string, found ""; leave out a fact the host does not have' },
    { path: 'host.os', message: 'expected a non-empty string, found 7; leave out a fact the host does not have' },
    { path: 'host.kernel', message: 'must not contain control characters' },
  ]);
});

t.test('POST /v1/metrics rejects host facts that are not an object', async (t) => {
  const gateway = await startTestGatewayServer();
  t.teardown(() => gateway.close());
  const token = await gateway.tokenFor('web-1');
  const batch = { version: 1, agentId: 'web-1', host: 'web-1', samples: [{ metric: 'cpu_usage', value: 3, ts: Date.now() }] };

  const response = await gateway.request('/v1/metrics', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(batch),
  });

  t.equal(response.status, 400);
  t.match(JSON.parse(response.body), { error: { issues: [{ path: 'host', message: 'expected an object of host facts, found "web-1"' }] } });
});
