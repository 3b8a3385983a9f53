import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startChildRole } from '../test-support/child-role.js';
import { eventually, uniqueName } from '../test-support/services.js';
import { type FleetpulseConfig, fleetpulseConfigSchema } from './config.js';
import { openCredentialStore } from './security.js';
import { testServiceSections } from './test-support/deployment.js';
import { enrollAgent, gatewayClient } from './test-support/enroll.js';
import { temporaryDirectory } from './test-support/files.js';

/**
 * Returns the configuration of two gateway processes of one distributed
 * deployment, which share the Redis prefix, topics and data directory.
 */
function replicaConfig(dir: string): Record<string, unknown> {
  return {
    deployment: 'distributed',
    log_level: 'info',
    data_dir: dir,
    ...testServiceSections(uniqueName('replicas'), { partitions: 2 }),
    gateway: { port: 0, rate_limits: { routes: { ingest: { per_agent: '3/1m' } } } },
  };
}

/**
 * Starts two gateway processes and enrolls `agentId`. Returns an HTTPS
 * client for each process and the headers that carry the agent's token.
 */
async function startReplicas(t: Test, agentId: string) {
  const dir = temporaryDirectory(t, 'fleetpulse-replicas-');
  const raw = replicaConfig(dir);
  const config: FleetpulseConfig = fleetpulseConfigSchema.parse({ ...raw, log_level: 'silent' });

  // The first process creates the local CA and signing key, and the second one reads them.
  const urls: string[] = [];
  for (const name of ['first', 'second']) {
    const gateway = startChildRole('gateway', raw, join(dir, `${name}.yml`));
    t.teardown(() => gateway.stop());
    urls.push(String((await gateway.waitForLog('gateway listening (HTTPS only)')).url));
  }

  const credentials = await enrollAgent(config, agentId);
  const clients = urls.map((url) => gatewayClient(config, url));
  t.teardown(() => Promise.all(clients.map((client) => client.close())));
  const token = await clients[0]!.token(credentials);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  return { config, credentials, clients, headers };
}

const batch = (agentId: string) => JSON.stringify({ version: 1, agentId, tags: {}, samples: [{ metric: 'cpu_usage', value: 1, ts: Date.now() }] });

t.test('gateway processes share rate limits on Redis', async (t) => {
  const { clients, headers } = await startReplicas(t, 'web-1');

  const responses = [];
  for (let i = 0; i < 4; i++) responses.push(await clients[i % 2]!.post('/v1/metrics', headers, batch('web-1')));

  t.same(
    responses.map((response) => response.status),
    [202, 202, 202, 429],
    'the fourth batch is over the limit, whichever process gets it',
  );
  const limited = responses[3]!.headers;
  t.equal(limited['retry-after'], '20', 'Retry-After: one slot of a 3 per minute limit');
  t.equal(limited['ratelimit-policy'], '3;w=60', 'RateLimit-Policy: 3 per 60 s');
  t.equal(limited['ratelimit-remaining'], '0', 'RateLimit-Remaining: none left');
});

t.test('gateway process sees a revocation made elsewhere', async (t) => {
  const { config, credentials, clients, headers } = await startReplicas(t, 'web-2');
  t.equal((await clients[1]!.post('/v1/metrics', headers, batch('web-2'))).status, 202, 'accepted before the revocation');

  // Revokes the credentials from a third process, as `fleetpulse credentials revoke` does.
  const store = openCredentialStore(config);
  await store.revoke([credentials.client_id], Date.now());
  await store.close();

  const rejected = await eventually(
    async () => {
      const response = await clients[1]!.post('/v1/metrics', headers, batch('web-2'));
      return response.status === 401 ? response : undefined;
    },
    10_000,
    'the second process to reject the revoked token',
  );
  t.match(rejected.headers['www-authenticate'], /error="invalid_token"/, 'WWW-Authenticate names the error');
});
