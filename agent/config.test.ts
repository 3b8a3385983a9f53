import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../pipeline/config/load.js';
import { agentConfigSchema, parseProbeTarget } from './config.js';

const ENV_PREFIX = 'FLEETPULSE_AGENT_';

function writeYaml(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-agent-config-'));
  const file = join(dir, 'agent.yml');
  writeFileSync(file, text);
  return file;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

t.test('agent config defaults', async (t) => {
  const config = loadConfig({ schema: agentConfigSchema, envPrefix: ENV_PREFIX, env: {} });
  t.same(config, {
    agent_id: hostname(),
    gateway_url: 'https://127.0.0.1:8443',
    interval: 10_000,
    tags: {},
    probe_targets: [],
    probe_timeout: 2_000,
    buffer_max_samples: 100_000,
    batch_max_samples: 1_000,
    request_timeout: 10_000,
    retry_initial: 1_000,
    retry_max: 60_000,
    log_level: 'info',
    tls: {},
  });
});

t.test('agent config client credentials', async (t) => {
  const load = (env: Record<string, string>) => loadConfig({ schema: agentConfigSchema, envPrefix: ENV_PREFIX, env });
  const config = load({ FLEETPULSE_AGENT_CLIENT_ID: 'fpc_1', FLEETPULSE_AGENT_CLIENT_SECRET: 's3cret', FLEETPULSE_AGENT_TLS_CA_FILE: '/etc/fleetpulse/ca.crt' });
  t.equal(config.client_id, 'fpc_1');
  t.equal(config.client_secret, 's3cret', 'the secret can come from the environment');
  t.same(config.tls, { ca_file: '/etc/fleetpulse/ca.crt' });

  t.throws(() => load({ FLEETPULSE_AGENT_CLIENT_ID: 'fpc_1' }), /client_secret: client_id needs a secret: set client_secret_file, or FLEETPULSE_AGENT_CLIENT_SECRET/);
  t.throws(() => load({ FLEETPULSE_AGENT_CLIENT_ID: 'fpc_1', FLEETPULSE_AGENT_CLIENT_SECRET: 'a', FLEETPULSE_AGENT_CLIENT_SECRET_FILE: '/f' }), /set client_secret or client_secret_file, not both/);
  t.throws(() => load({ FLEETPULSE_AGENT_TLS_CERT_FILE: '/c.crt' }), /tls\.cert_file: cert_file and key_file must be set together/);
});

t.test('agent config reads a file', async (t) => {
  const file = writeYaml(
    [
      'agent_id: web-01',
      'gateway_url: https://gateway.example:8443',
      'interval: 30s',
      'tags:',
      '  env: prod',
      '  region: eu_west',
      '  rack_7: b',
      'probe_targets: ["db.internal:5432", "[::1]:8080"]',
      'probe_timeout: 500ms',
      'buffer_max_samples: 5000',
      'batch_max_samples: 250',
      'request_timeout: 5s',
      'retry_initial: 2s',
      'retry_max: 2m',
      'log_level: debug',
    ].join('\n'),
  );
  const config = loadConfig({ schema: agentConfigSchema, file, envPrefix: ENV_PREFIX, env: {} });
  t.equal(config.agent_id, 'web-01');
  t.equal(config.gateway_url, 'https://gateway.example:8443');
  t.equal(config.interval, 30_000);
  t.same(config.tags, { env: 'prod', region: 'eu_west', rack_7: 'b' });
  t.same(config.probe_targets, ['db.internal:5432', '[::1]:8080']);
  t.equal(config.probe_timeout, 500);
  t.equal(config.buffer_max_samples, 5_000);
  t.equal(config.batch_max_samples, 250);
  t.equal(config.request_timeout, 5_000);
  t.equal(config.retry_initial, 2_000);
  t.equal(config.retry_max, 120_000);
  t.equal(config.log_level, 'debug');
});

t.test('agent config environment overrides', async (t) => {
  const config = loadConfig({
    schema: agentConfigSchema,
    envPrefix: ENV_PREFIX,
    env: {
      FLEETPULSE_AGENT_AGENT_ID: 'db-02',
      FLEETPULSE_AGENT_INTERVAL: '15s',
      FLEETPULSE_AGENT_TAGS: '{"role":"db"}',
      FLEETPULSE_AGENT_PROBE_TARGETS: '127.0.0.1:5432, localhost:6379',
      FLEETPULSE_AGENT_BATCH_MAX_SAMPLES: '10',
    },
  });
  t.equal(config.agent_id, 'db-02');
  t.equal(config.interval, 15_000);
  t.same(config.tags, { role: 'db' });
  t.same(config.probe_targets, ['127.0.0.1:5432', 'localhost:6379']);
  t.equal(config.batch_max_samples, 10);
});

t.test('agent config rejects a bad tag name', async (t) => {
  const file = writeYaml('tags:\n  env: prod\n  1bad: x\n');
  const error = configError(() => loadConfig({ schema: agentConfigSchema, file, envPrefix: ENV_PREFIX, env: {} }));
  t.equal(error.issues.length, 1);
  t.equal(error.issues[0]!.key, 'tags.1bad');
  t.equal(error.issues[0]!.source, `${file}:3:3`);
  t.match(error.issues[0]!.message, /invalid tag name "1bad"/);
});

t.test('agent config rejects non-string tag', async (t) => {
  const file = writeYaml('tags:\n  env: 3\n');
  const error = configError(() => loadConfig({ schema: agentConfigSchema, file, envPrefix: ENV_PREFIX, env: {} }));
  t.equal(error.issues[0]!.key, 'tags.env');
  t.match(error.issues[0]!.message, /expected string, found 3/);
});

t.test('agent config rejects bad values', async (t) => {
  const cases: Array<{ yaml: string; key: string; message: RegExp }> = [
    { yaml: 'probe_targets: ["db.internal"]', key: 'probe_targets.0', message: /expected host:port/ },
    { yaml: 'probe_targets: ["db:70000"]', key: 'probe_targets.0', message: /port from 1 to 65535/ },
    { yaml: 'gateway_url: ftp://gateway', key: 'gateway_url', message: /http:\/\/ or https:\/\// },
    { yaml: 'interval: ten', key: 'interval', message: /expected a duration/ },
    { yaml: 'interval: 50ms', key: 'interval', message: /at least 100 ms/ },
    { yaml: 'buffer_max_samples: 0', key: 'buffer_max_samples', message: /at least 1/ },
    { yaml: 'batch_max_samples: 2.5', key: 'batch_max_samples', message: /int/ },
    { yaml: 'retry_initial: 10s\nretry_max: 5s', key: 'retry_max', message: /at least retry_initial/ },
    { yaml: 'agent_id: ""', key: 'agent_id', message: /at least 1/ },
    { yaml: 'log_level: loud', key: 'log_level', message: /expected one of/ },
    { yaml: 'gateway: http://127.0.0.1', key: 'gateway', message: /unknown key/ },
  ];
  for (const { yaml, key, message } of cases) {
    const file = writeYaml(`${yaml}\n`);
    const error = configError(() => loadConfig({ schema: agentConfigSchema, file, envPrefix: ENV_PREFIX, env: {} }));
    t.equal(error.issues[0]?.key, key, yaml);
    t.match(error.issues[0]?.message, message, yaml);
  }
});

t.test('parseProbeTarget forms', async (t) => {
  t.same(parseProbeTarget('db.internal:5432'), { target: 'db.internal:5432', host: 'db.internal', port: 5432 });
  t.same(parseProbeTarget('127.0.0.1:80'), { target: '127.0.0.1:80', host: '127.0.0.1', port: 80 });
  t.same(parseProbeTarget('[::1]:443'), { target: '[::1]:443', host: '::1', port: 443 });
  t.equal(parseProbeTarget('::1:443'), undefined);
  t.equal(parseProbeTarget('host:0'), undefined);
  t.equal(parseProbeTarget('host:'), undefined);
  t.equal(parseProbeTarget('host name:80'), undefined);
});
