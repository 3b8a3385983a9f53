import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { testServices, uniqueName } from '../test-support/services.js';
import { type CredentialRecord, CredentialExistsError, type CredentialStore, FileCredentialStore, newClientId, RedisCredentialStore } from './credential-store.js';

const record = (agentId: string, createdAt: number): CredentialRecord => ({
  clientId: newClientId(),
  agentId,
  group: 'default',
  tags: {},
  scopes: ['metrics:write'],
  secretHash: 'scrypt$1024$8$1$c2FsdA$aGFzaA',
  createdAt,
});

const stores: Array<[string, (t: { teardown(cleanup: () => unknown): void }) => CredentialStore]> = [
  [
    'FileCredentialStore',
    (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-credentials-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      return new FileCredentialStore(join(dir, 'credentials.json'));
    },
  ],
  ['RedisCredentialStore', () => new RedisCredentialStore(testServices.redisUrl, `${uniqueName('test')}:`)],
];

for (const [name, make] of stores) {
  t.test(`${name} creates, lists and revokes`, async (t) => {
    const store = make(t);
    t.teardown(() => store.close());
    const web1 = record('web-1', 1_000);
    const web2 = record('web-2', 2_000);
    await store.create(web1);
    await store.create(web2);
    await t.rejects(store.create(web1), CredentialExistsError);

    t.same((await store.list()).map((credential) => credential.agentId), ['web-1', 'web-2']);
    t.same(await store.get(web1.clientId), web1);
    t.equal(await store.get('fpc_missing'), undefined);

    const revoked = await store.revoke([web1.clientId], 5_000);
    t.same(revoked.map((credential) => credential.clientId), [web1.clientId]);
    t.equal((await store.get(web1.clientId))?.revokedAt, 5_000);
    t.same([...(await store.revocations())], [[web1.clientId, 5_000]]);
    t.same(await store.revoke([web1.clientId], 6_000), [], 'a second revocation changes nothing');
    t.equal((await store.get(web1.clientId))?.revokedAt, 5_000);
  });
}

t.test('FileCredentialStore writes mode 0600 and sees other writers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-credentials-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'credentials.json');
  const gateway = new FileCredentialStore(file);
  const cli = new FileCredentialStore(file);
  const web1 = record('web-1', 1_000);
  await cli.create(web1);
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.equal((await gateway.get(web1.clientId))?.agentId, 'web-1');
  await cli.revoke([web1.clientId], 2_000);
  t.same([...(await gateway.revocations())], [[web1.clientId, 2_000]], 'a revocation by another process is read');
});
