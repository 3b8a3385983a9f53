import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ManualClock } from '../../pipeline/clock/index.js';
import { silentLogger } from '../../pipeline/log/logger.js';
import { FileCredentialStore } from '../../pipeline/state/credential-store.js';
import { FileSigningKeyStore, RedisSigningKeyStore } from '../../pipeline/state/signing-key-store.js';
import { testServices, uniqueName } from '../../pipeline/test-support/services.js';
import { batchFor, createTestApp } from '../test-support/gateway.js';
import { SigningKeyRing } from './key-ring.js';

const T0 = Date.parse('2026-06-01T12:00:00Z');
const MINUTE = 60_000;
// Rotation after 10 minutes, tokens valid 15 minutes: a token outlives the key that signed it.
const CONFIG = { auth: { key_rotation: '10m', token_ttl: '15m', key_refresh: '30s' } };

type Gateway = Awaited<ReturnType<typeof createTestApp>>;

const post = (gateway: Gateway, token: string, now: number) =>
  gateway.app.request('/v1/metrics', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: batchFor('web-1', now) });

const kids = async (gateway: Gateway) => ((await (await gateway.app.request('/.well-known/jwks.json')).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);

t.test('key rotation across a restart', async (t) => {
  const clock = new ManualClock(T0);
  const first = await createTestApp({ clock, config: CONFIG });
  // The restarted gateway reads the files of the first one.
  const stores = { credentials: new FileCredentialStore(join(first.dataDir, 'credentials.json')), signingKeys: new FileSigningKeyStore(join(first.dataDir, 'signing-keys.json')) };
  const oldToken = await first.tokenFor('web-1');
  const [oldKid] = await kids(first);
  await first.security.stop();

  // A restart before the rotation is due keeps the key.
  await clock.advance(5 * MINUTE);
  const early = await createTestApp({ clock, config: CONFIG, ...stores });
  t.same(await kids(early), [oldKid], 'same key after an early restart');
  t.equal((await post(early, oldToken, clock.now())).status, 202);
  await early.close();

  // A restart after key_rotation replaces the signing key but keeps the old one published.
  await clock.advance(6 * MINUTE);
  const restarted = await createTestApp({ clock, config: CONFIG, ...stores });
  t.teardown(async () => {
    await restarted.close();
    await first.close();
  });
  const published = await kids(restarted);
  t.equal(published.length, 2, 'old and new keys published');
  t.equal(published[0], oldKid);
  const newKid = published[1]!;
  t.not(newKid, oldKid);
  t.equal(restarted.security.keys.signingKey().kid, newKid, 'new tokens are signed with the new key');
  t.equal((await post(restarted, oldToken, clock.now())).status, 202, 'a token of the previous key stays valid');

  // Once every token of the old key has expired (15 min + key_refresh + tolerance), the next refresh drops it.
  await clock.set(T0 + 11 * MINUTE + 15 * MINUTE + 35_000);
  await restarted.security.keys.refresh();
  // The refresh also rotates again, because the new key is older than 10 minutes by now.
  const later = await kids(restarted);
  t.notOk(later.includes(oldKid!), 'the old key is no longer published');
  t.ok(later.includes(newKid), 'the key before the current one stays published');
  t.equal((await post(restarted, oldToken, clock.now())).status, 401, 'the old token expired');
});

t.test('key ring replicas on Redis create one key', async (t) => {
  const prefix = `${uniqueName('test')}:`;
  const clock = new ManualClock(T0);
  const stores = [new RedisSigningKeyStore(testServices.redisUrl, prefix), new RedisSigningKeyStore(testServices.redisUrl, prefix)];
  t.teardown(async () => {
    for (const store of stores) await store.close();
  });
  const options = { algorithm: 'ES256' as const, rotationMs: 10 * MINUTE, retentionMs: 20 * MINUTE, refreshMs: 30_000, clock, logger: silentLogger };
  const rings = await Promise.all(stores.map((store) => SigningKeyRing.open({ ...options, store })));

  t.equal(rings[0]!.signingKey().kid, rings[1]!.signingKey().kid, 'both replicas sign with the same key');
  t.equal((await stores[0]!.load()).length, 1, 'one key was stored');
  t.equal(rings[0]!.signingKey().alg, 'ES256');

  await clock.advance(11 * MINUTE);
  await Promise.all(rings.map((ring) => ring.refresh()));
  t.equal(rings[0]!.signingKey().kid, rings[1]!.signingKey().kid, 'both replicas moved to the same new key');
  t.equal((await stores[0]!.load()).length, 2, 'one rotation, with the previous key kept');
});

t.test('key ring rereads for an unknown kid', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-key-ring-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new ManualClock(T0);
  const options = { algorithm: 'EdDSA' as const, rotationMs: 10 * MINUTE, retentionMs: 20 * MINUTE, refreshMs: 30_000, clock, logger: silentLogger };
  const [reader, rotator] = [
    await SigningKeyRing.open({ ...options, store: new FileSigningKeyStore(join(dir, 'signing-keys.json')) }),
    await SigningKeyRing.open({ ...options, store: new FileSigningKeyStore(join(dir, 'signing-keys.json')) }),
  ];

  await rotator.rotate();
  const rotatedKid = rotator.signingKey().kid;
  const [first, second] = await Promise.all([reader.verificationKey(rotatedKid), reader.verificationKey(rotatedKid)]);
  t.ok(first, 'the first request rereads the store and finds the key');
  t.ok(second, 'a concurrent request waits for that reread');

  await rotator.rotate();
  const nextKid = rotator.signingKey().kid;
  t.equal(await reader.verificationKey(nextKid), undefined, 'no second reread within a second');
  await clock.advance(1_000);
  t.ok(await reader.verificationKey(nextKid), 'a reread after a second finds the key');
});
