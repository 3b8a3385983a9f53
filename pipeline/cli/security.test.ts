import { writeFileSync } from 'node:fs';
import t from 'tap';
import { createCredential } from '../../ingest-gateway/auth/enrollment.js';
import { silentLogger } from '../log/logger.js';
import { fleetpulseConfigSchema } from './config.js';
import { localAgentCredentials, openCredentialStore, securityFiles } from './security.js';
import { temporaryDirectory, type Teardown } from './test-support/files.js';

/** Opens the credential store of an embedded deployment in a temporary data_dir. */
function embedded(t: Teardown) {
  const dataDir = temporaryDirectory(t, 'fleetpulse-security-');
  const config = fleetpulseConfigSchema.parse({ deployment: 'embedded', data_dir: dataDir, local_agent: { tags: { env: 'local' } } });
  const store = openCredentialStore(config);
  t.teardown(() => store.close());
  return { config, store };
}

t.test('localAgentCredentials keeps config tags out of the identity', async (t) => {
  const { config, store } = embedded(t);

  const { clientId } = await localAgentCredentials(config, store, 'vm', silentLogger);

  const record = await store.get(clientId);
  t.same(record?.tags, {}, 'local_agent.tags stay below tagging rules');
  const again = await localAgentCredentials(config, store, 'vm', silentLogger);
  t.equal(again.clientId, clientId, 'the stored credentials are reused');
});

t.test('localAgentCredentials replaces credentials carrying tags', async (t) => {
  const { config, store } = embedded(t);
  const { record, clientSecret } = await createCredential(store, { agentId: 'vm', tags: { env: 'local' } });
  writeFileSync(securityFiles(config.data_dir).localAgent, JSON.stringify({ client_id: record.clientId, client_secret: clientSecret, agent_id: 'vm' }));

  const { clientId } = await localAgentCredentials(config, store, 'vm', silentLogger);

  t.not(clientId, record.clientId, 'new credentials');
  t.same((await store.get(clientId))?.tags, {}, 'without identity tags');
});
