import t from 'tap';
import { systemClock } from '../../pipeline/clock/index.js';
import { RedisCredentialStore } from '../../pipeline/state/credential-store.js';
import { RedisSigningKeyStore } from '../../pipeline/state/signing-key-store.js';
import { eventually, testServices, uniqueName } from '../../pipeline/test-support/services.js';
import { batchFor, createTestApp } from '../test-support/gateway.js';

t.test('revocation seen by a second replica', async (t) => {
  const prefix = `${uniqueName('test')}:`;
  const config = { auth: { revocation_refresh: '200ms' } };
  const replica = async () => {
    const credentials = new RedisCredentialStore(testServices.redisUrl, prefix);
    const signingKeys = new RedisSigningKeyStore(testServices.redisUrl, prefix);
    const gateway = await createTestApp({ clock: systemClock, config, credentials, signingKeys });
    t.teardown(async () => {
      await gateway.close();
      await credentials.close();
      await signingKeys.close();
    });
    return gateway;
  };
  const first = await replica();
  const second = await replica();

  // Issued by the first replica, accepted by the second: both use the keys in Redis.
  const token = await first.tokenFor('web-1');
  const post = () =>
    second.app.request('/v1/metrics', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: batchFor('web-1') });
  t.equal((await post()).status, 202);

  const { record, clientSecret } = await first.credentialFor('web-1');
  const revokedAt = Date.now();
  await first.credentials.revoke([record.clientId], revokedAt);

  const rejected = await eventually(async () => {
    const response = await post();
    return response.status === 401 ? response : undefined;
  }, 5_000, 'the second replica to reject the revoked token');
  const seenAfterMs = Date.now() - revokedAt;
  t.ok(seenAfterMs < 2_000, `rejected ${seenAfterMs} ms after the revocation`);
  t.equal(
    rejected.headers.get('www-authenticate'),
    `Bearer error="invalid_token", error_description="the credentials ${record.clientId} of this token were revoked at ${new Date(revokedAt).toISOString()}"`,
  );

  const tokenRequest = await second.app.request('/oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${record.clientId}&client_secret=${clientSecret}`,
  });
  t.equal(tokenRequest.status, 401, 'the second replica issues no new token either');
});
