import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { MemoryBus } from '../bus/memory-bus.js';
import { systemClock } from '../clock/index.js';
import { ConfigError } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { FileCredentialStore } from '../state/credential-store.js';
import { type FleetpulseConfig, fleetpulseConfigSchema, loadFleetpulseConfig } from './config.js';
import { startGatewayRole } from './gateway.js';
import { LOCAL_OPERATOR, securityFiles } from './security.js';
import { gatewayClient } from './test-support/enroll.js';
import { temporaryDirectory, type Teardown } from './test-support/files.js';

const TOPIC = 'test.metrics';

/** Starts the gateway role of an embedded deployment and returns it with the JSON lines it logged. */
async function startGateway(t: Teardown, config: FleetpulseConfig) {
  const lines: Array<Record<string, unknown>> = [];
  const text: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: {
      write: (line: string) => {
        text.push(line);
        lines.push(JSON.parse(line));
      },
    },
  });
  const bus = new MemoryBus({ topics: [{ name: TOPIC, partitions: 1 }], capacityPerPartition: 100, publishTimeoutMs: 1_000, clock: systemClock });
  const gateway = await startGatewayRole({ config, bus, metricsTopic: TOPIC, clock: systemClock, logger });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= gateway.stop().then(() => bus.close()));
  t.teardown(stop);
  return { gateway, lines, text, stop };
}

const embedded = (dataDir: string, gateway: Record<string, unknown> = {}) =>
  fleetpulseConfigSchema.parse({ deployment: 'embedded', data_dir: dataDir, gateway: { port: 0, ...gateway }, notifier: { receivers: [{ name: 'console', type: 'console' }] } });

t.test('embedded gateway creates operator credentials', async (t) => {
  const dir = temporaryDirectory(t, 'fleetpulse-operator-');
  const config = embedded(dir);
  const { gateway, lines, text } = await startGateway(t, config);

  const file = securityFiles(dir).localOperator;
  t.equal(statSync(file).mode & 0o777, 0o600, 'the file is private');
  const form = new URLSearchParams(readFileSync(file, 'utf8').trim());
  const clientId = form.get('client_id')!;
  const secret = form.get('client_secret')!;
  t.match(clientId, /^fpc_[0-9a-f]{32}$/);
  t.ok(secret.length >= 43, 'the secret is in the file');

  const stored = await new FileCredentialStore(securityFiles(dir).credentials).get(clientId);
  t.match(stored, { agentId: LOCAL_OPERATOR, scopes: ['read', 'silences:write'] });

  t.match(lines.find((line) => line.msg === 'created operator credentials for the read API and the dashboard'), { clientId, file });
  const hint = lines.find((line) => String(line.msg).startsWith('the read API and the dashboard need an operator token'));
  t.match(hint, { file, tokenRequest: new RegExp(`-d "@${file}" ${gateway.url}/oauth/token`) });
  t.notOk(text.some((line) => line.includes(secret)), 'no log line contains the secret');

  // The file is the form body of the token request, as in the README's quick start.
  const client = gatewayClient(config, gateway.url);
  t.teardown(() => client.close());
  const issued = await client.post('/oauth/token', { 'content-type': 'application/x-www-form-urlencoded' }, `grant_type=client_credentials&${readFileSync(file, 'utf8').trim()}`);
  t.equal(issued.status, 200, 'the token request succeeds');
  const { access_token: token, scope } = JSON.parse(issued.body) as { access_token: string; scope: string };
  t.equal(scope, 'read silences:write');
  t.equal((await client.get('/v1/agents')).status, 401, 'no token, no agents');
  const agents = await client.get('/v1/agents', { authorization: `Bearer ${token}` });
  t.equal(agents.status, 200);
});

t.test('embedded gateway reuses operator credentials', async (t) => {
  const dir = temporaryDirectory(t, 'fleetpulse-operator-');
  const first = await startGateway(t, embedded(dir));
  await first.stop();
  const file = securityFiles(dir).localOperator;
  const before = readFileSync(file, 'utf8');

  const second = await startGateway(t, embedded(dir));
  t.equal(readFileSync(file, 'utf8'), before, 'same credentials after a restart');
  t.notOk(second.lines.some((line) => line.msg === 'created operator credentials for the read API and the dashboard'));
  await second.stop();

  // Revoked credentials are replaced at the next start.
  const store = new FileCredentialStore(securityFiles(dir).credentials);
  const revokedId = new URLSearchParams(before.trim()).get('client_id')!;
  await store.revoke([revokedId], Date.now());
  await startGateway(t, embedded(dir));
  const replaced = new URLSearchParams(readFileSync(file, 'utf8').trim()).get('client_id');
  t.not(replaced, revokedId, 'new credentials after a revocation');
  t.equal((await store.list()).length, 2);
});

t.test('open operator access creates no credentials', async (t) => {
  const dir = temporaryDirectory(t, 'fleetpulse-operator-');
  const config = embedded(dir, { auth: { operator_access: 'open' } });
  const { gateway, lines } = await startGateway(t, config);
  t.throws(() => statSync(securityFiles(dir).localOperator), { code: 'ENOENT' });
  t.ok(lines.some((line) => line.level === 40 && String(line.msg).startsWith('gateway.auth.operator_access is open')), 'warns at startup');

  const client = gatewayClient(config, gateway.url);
  t.teardown(() => client.close());
  t.equal((await client.get('/v1/agents')).status, 200);
});

t.test('operator_access rejects unknown values', async (t) => {
  const dir = temporaryDirectory(t, 'fleetpulse-operator-');
  const file = join(dir, 'fleetpulse.yml');
  writeFileSync(file, 'gateway:\n  auth:\n    operator_access: tokens\n');
  const fromFile = t.throws(() => loadFleetpulseConfig(file, {})) as unknown as ConfigError;
  t.ok(fromFile instanceof ConfigError);
  // The position is the value's, which is what needs changing.
  t.same(fromFile.issues, [{ key: 'gateway.auth.operator_access', source: `${file}:3:22`, message: 'expected one of "token", "open", found "tokens"' }]);

  const fromEnv = t.throws(() => loadFleetpulseConfig(undefined, { FLEETPULSE_GATEWAY_AUTH_OPERATOR_ACCESS: 'none' })) as unknown as ConfigError;
  t.same(fromEnv.issues, [
    { key: 'gateway.auth.operator_access', source: 'environment variable FLEETPULSE_GATEWAY_AUTH_OPERATOR_ACCESS', message: 'expected one of "token", "open", found "none"' },
  ]);

  t.equal(fleetpulseConfigSchema.parse({}).gateway.auth.operator_access, 'token', 'token by default');
});
