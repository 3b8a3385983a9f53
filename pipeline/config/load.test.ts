import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { duration, port } from './fields.js';
import { ConfigError, loadConfig } from './load.js';

const schema = z.strictObject({
  gateway: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: port().default(8080),
      timeout: duration().prefault('5s'),
    })
    .prefault({}),
  brokers: z.array(z.string()).default(['127.0.0.1:9092']),
  enabled: z.boolean().default(false),
  tags: z.record(z.string(), z.string()).default({}),
});

function writeYaml(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-config-'));
  const file = join(dir, 'fleetpulse.yml');
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

t.test('loadConfig applies defaults', async (t) => {
  const config = loadConfig({ schema, envPrefix: 'FP_', env: {} });
  t.same(config, { gateway: { host: '127.0.0.1', port: 8080, timeout: 5_000 }, brokers: ['127.0.0.1:9092'], enabled: false, tags: {} });
});

t.test('loadConfig reads the file', async (t) => {
  const file = writeYaml('gateway:\n  port: 9090\n  timeout: 1m\ntags:\n  env: prod\n');
  const config = loadConfig({ schema, file, envPrefix: 'FP_', env: {} });
  t.equal(config.gateway.port, 9090);
  t.equal(config.gateway.timeout, 60_000);
  t.same(config.tags, { env: 'prod' });
});

t.test('loadConfig environment overrides the file', async (t) => {
  const file = writeYaml('gateway:\n  port: 9090\n');
  const config = loadConfig({
    schema,
    file,
    envPrefix: 'FP_',
    env: { FP_GATEWAY_PORT: '7070', FP_BROKERS: 'a:1, b:2', FP_ENABLED: 'true', FP_TAGS: '{"region":"eu"}' },
  });
  t.equal(config.gateway.port, 7070);
  t.same(config.brokers, ['a:1', 'b:2']);
  t.equal(config.enabled, true);
  t.same(config.tags, { region: 'eu' });
});

t.test('loadConfig error names key, value and position', async (t) => {
  const file = writeYaml('gateway:\n  host: 0.0.0.0\n  port: 70000\n');
  const error = configError(() => loadConfig({ schema, file, envPrefix: 'FP_', env: {} }));
  t.equal(error.issues.length, 1);
  t.equal(error.issues[0]!.key, 'gateway.port');
  t.equal(error.issues[0]!.source, `${file}:3:3`);
  t.match(error.issues[0]!.message, /must be at most 65535, found 70000/);
});

t.test('loadConfig error for a bad environment value', async (t) => {
  const error = configError(() => loadConfig({ schema, envPrefix: 'FP_', env: { FP_GATEWAY_PORT: 'eighty' } }));
  t.equal(error.issues[0]!.key, 'gateway.port');
  t.equal(error.issues[0]!.source, 'environment variable FP_GATEWAY_PORT');
  t.match(error.issues[0]!.message, /expected a number, found "eighty"/);
});

t.test('loadConfig rejects unknown keys', async (t) => {
  const file = writeYaml('gateway:\n  prot: 80\n');
  const error = configError(() => loadConfig({ schema, file, envPrefix: 'FP_', env: {} }));
  t.equal(error.issues[0]!.key, 'gateway.prot');
  t.equal(error.issues[0]!.source, `${file}:2:3`);
  t.match(error.issues[0]!.message, /unknown key/);
});

t.test('loadConfig reports every issue', async (t) => {
  const file = writeYaml('gateway:\n  port: -1\n  timeout: soon\nenabled: maybe\n');
  const error = configError(() => loadConfig({ schema, file, envPrefix: 'FP_', env: {} }));
  t.same(error.issues.map((issue) => issue.key).sort(), ['enabled', 'gateway.port', 'gateway.timeout']);
  t.match(error.message, /gateway\.timeout: expected a duration such as 500ms, 30s, 5m or 1h, found "soon"/);
  t.match(error.message, /enabled: expected boolean, found "maybe"/);
});

t.test('loadConfig duration without unit', async (t) => {
  const file = writeYaml('gateway:\n  timeout: 10\n');
  const error = configError(() => loadConfig({ schema, file, envPrefix: 'FP_', env: {} }));
  t.equal(error.issues[0]!.message, 'expected a duration with a unit such as 30s or 5m, found the number 10');
});

t.test('loadConfig reports YAML syntax errors', async (t) => {
  const file = writeYaml('gateway:\n  port: [1, 2\n');
  const error = configError(() => loadConfig({ schema, file, envPrefix: 'FP_', env: {} }));
  t.equal(error.issues[0]!.key, '(syntax)');
  t.match(error.issues[0]!.source, new RegExp(`^${file}:\\d+:\\d+$`));
});

t.test('loadConfig missing file', async (t) => {
  const error = configError(() => loadConfig({ schema, file: '/nonexistent/fleetpulse.yml', envPrefix: 'FP_', env: {} }));
  t.match(error.message, /cannot read the configuration file/);
});
