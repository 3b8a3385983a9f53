import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { duration, port } from './fields.js';
import { ConfigError, loadConfig } from './load.js';
import { valueHints } from './value-hints.js';

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

/** Writes `yaml` to a file, loads it without environment variables, and returns the file's path and the ConfigError. */
function fileError(yaml: string, options: { schema?: z.ZodType; reference?: string } = {}): { file: string; error: ConfigError } {
  const file = writeYaml(yaml);
  const error = configError(() => loadConfig({ schema: options.schema ?? schema, file, envPrefix: 'FP_', env: {}, reference: options.reference }));
  return { file, error };
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

t.test('loadConfig environment list of numbers', async (t) => {
  const numbers = z.strictObject({ ports: z.array(z.number()).default([]) });
  t.same(loadConfig({ schema: numbers, envPrefix: 'FP_', env: { FP_PORTS: '80, 443' } }).ports, [80, 443]);
  const error = configError(() => loadConfig({ schema: numbers, envPrefix: 'FP_', env: { FP_PORTS: '80,https' } }));
  t.equal(error.issues[0]!.message, 'expected comma-separated numbers, found "80,https"');
});

t.test('loadConfig error names key, value and position', async (t) => {
  const { file, error } = fileError('gateway:\n  host: 0.0.0.0\n  port: 70000\n');
  t.equal(error.issues.length, 1);
  t.equal(error.issues[0]!.key, 'gateway.port');
  // The value is at fault, so the position is the value's, not the key's.
  t.equal(error.issues[0]!.source, `${file}:3:9`);
  t.match(error.issues[0]!.message, /must be at most 65535, found 70000/);
});

t.test('loadConfig error for a bad environment value', async (t) => {
  const error = configError(() => loadConfig({ schema, envPrefix: 'FP_', env: { FP_GATEWAY_PORT: 'eighty' } }));
  t.equal(error.issues[0]!.key, 'gateway.port');
  t.equal(error.issues[0]!.source, 'environment variable FP_GATEWAY_PORT');
  t.match(error.issues[0]!.message, /expected a number, found "eighty"/);
});

t.test('loadConfig error inside a value from the environment', async (t) => {
  const file = writeYaml('gateway:\n  port: 80\n');
  const error = configError(() => loadConfig({ schema, file, envPrefix: 'FP_', env: { FP_TAGS: '{"env": 3}' } }));
  t.equal(error.issues[0]!.key, 'tags.env');
  t.equal(error.issues[0]!.source, 'environment variable FP_TAGS', 'the variable, not a line of the file');
});

t.test('loadConfig rejects unknown keys', async (t) => {
  const { file, error } = fileError('gateway:\n  prot: 80\n');
  t.equal(error.issues[0]!.key, 'gateway.prot');
  t.equal(error.issues[0]!.source, `${file}:2:3`);
  t.equal(error.issues[0]!.message, "unknown key; did you mean 'port'?");
});

t.test('loadConfig unknown key names the reference', async (t) => {
  const { error } = fileError('gateway:\n  prot: 80\n', { reference: 'docs/configuration.md' });
  t.equal(error.issues[0]!.message, "unknown key; did you mean 'port'? docs/configuration.md lists every key");
});

t.test('loadConfig unknown key lists the keys', async (t) => {
  const { error } = fileError('gateway:\n  listen: 80\nverbose: true\n', { reference: 'docs/configuration.md' });
  t.same(
    error.issues.map((issue) => `${issue.key}: ${issue.message}`),
    [
      'gateway.listen: unknown key; the keys of gateway are host, port, timeout; docs/configuration.md lists every key',
      'verbose: unknown key; the top-level keys are gateway, brokers, enabled, tags; docs/configuration.md lists every key',
    ],
  );
});

t.test('loadConfig unknown key in a list item', async (t) => {
  const listSchema = z.strictObject({ routes: z.array(z.strictObject({ receivers: z.array(z.string()), matchers: z.array(z.string()) })) });
  const { file, error } = fileError('routes:\n  - receivers: [a]\n    matcher: [env=prod]\n', { schema: listSchema });
  const unknown = error.issues.find((issue) => issue.key === 'routes.0.matcher');
  t.equal(unknown?.source, `${file}:3:5`);
  t.equal(unknown?.message, "unknown key; did you mean 'matchers'?");
  const missing = error.issues.find((issue) => issue.key === 'routes.0.matchers');
  t.equal(missing?.source, `${file}:2:5`, 'a missing key is shown at the item that lacks it');
  t.equal(missing?.message, 'missing; expected a list, written [a, b] or as lines starting with "- "');
});

t.test('loadConfig unknown key in a union option', async (t) => {
  const receivers = z.strictObject({
    receivers: z.array(
      z.discriminatedUnion('type', [
        z.strictObject({ type: z.literal('slack'), webhook_url: z.string() }),
        z.strictObject({ type: z.literal('email'), to: z.array(z.string()) }),
      ]),
    ),
  });
  const { error } = fileError('receivers:\n  - type: slack\n    webhook_ur: x\n', { schema: receivers });
  t.equal(error.issues.find((issue) => issue.key === 'receivers.0.webhook_ur')?.message, "unknown key; did you mean 'webhook_url'?");
});

t.test('loadConfig type errors in user words', async (t) => {
  const { file, error } = fileError('gateway:\n  host: [a]\n  port: "80"\nbrokers: k1:9092\nenabled: 1\ntags: [env]\n');
  t.same(
    error.issues.map((issue) => `${issue.source.slice(file.length)} ${issue.key}: ${issue.message}`),
    [
      ':2:9 gateway.host: expected string, found ["a"]',
      ':3:9 gateway.port: expected a number, found "80"',
      ':4:10 brokers: expected a list, written [a, b] or as lines starting with "- ", found "k1:9092"',
      ':5:10 enabled: expected true or false, found 1',
      ':6:7 tags: expected a mapping of names to values, written {name: value} or as indented "name: value" lines, found ["env"]',
    ],
  );
});

t.test('loadConfig type error with a registered hint', async (t) => {
  const paths = z.array(z.string()).register(valueHints, { expected: 'a list of file or folder paths, such as [rules/]' });
  const hinted = z.strictObject({ rule_files: paths.default([]) });
  const { file, error } = fileError('rule_files: rules/\n', { schema: hinted });
  t.equal(error.issues[0]!.message, 'expected a list of file or folder paths, such as [rules/], found "rules/"');
  t.equal(error.issues[0]!.source, `${file}:1:13`);
});

t.test('loadConfig number where text is expected', async (t) => {
  const { file, error } = fileError('tags:\n  version: 3\n');
  t.equal(error.issues[0]!.source, `${file}:2:12`);
  t.equal(error.issues[0]!.message, 'expected string, found 3; quote it to write text: "3"');
});

t.test('loadConfig invalid name in a mapping points at the name', async (t) => {
  const names = z.record(z.string(), z.string()).superRefine((record, context) => {
    for (const key of Object.keys(record)) {
      if (/^\d/.test(key)) context.addIssue({ code: 'custom', path: [key], message: `invalid name ${JSON.stringify(key)}` });
    }
  });
  const { file, error } = fileError('tags:\n  env: prod\n  1bad: x\n', { schema: z.strictObject({ tags: names }) });
  t.equal(error.issues[0]!.source, `${file}:3:3`);
});

t.test('loadConfig fraction where integer expected', async (t) => {
  const { error } = fileError('count: 2.5\n', { schema: z.strictObject({ count: z.number().int() }) });
  t.equal(error.issues[0]!.message, 'expected an integer, found 2.5');
});

t.test('loadConfig empty value points at the key', async (t) => {
  const { file, error } = fileError('gateway:\n  port:\n');
  t.equal(error.issues[0]!.source, `${file}:2:3`);
  t.equal(error.issues[0]!.message, 'expected a number, found an empty value');
});

t.test('loadConfig unknown variable with a suggestion', async (t) => {
  const error = configError(() => loadConfig({ schema, envPrefix: 'FP_', env: { FP_GATEWAY_PROT: '9999' }, unknownVariables: { ignore: [] } }));
  t.same(error.issues, [{ key: '', source: 'environment variable FP_GATEWAY_PROT', message: 'unknown variable: it overrides no configuration key; did you mean FP_GATEWAY_PORT?' }]);
  t.equal(error.message, 'invalid configuration:\n  environment variable FP_GATEWAY_PROT: unknown variable: it overrides no configuration key; did you mean FP_GATEWAY_PORT?');
});

t.test('loadConfig unknown variable without a suggestion', async (t) => {
  const error = configError(() => loadConfig({ schema, envPrefix: 'FP_', env: { FP_VERBOSE: '1' }, reference: 'docs/configuration.md', unknownVariables: { ignore: [] } }));
  t.equal(
    error.issues[0]!.message,
    "unknown variable: it overrides no configuration key. A key's variable is FP_ and its path in capitals joined with _, such as FP_TAGS for tags; docs/configuration.md lists the keys",
  );
});

t.test('loadConfig skips variables of other tools', async (t) => {
  const env = { FP_TEST_BROKERS: 'a:1', FP_JAVA: '/usr/bin/java', FP_SLACK_URL: 'https://hooks.example.com/x', FP_GATEWAY_PORT: '7070', OTHER_PROT: '1' };
  const file = writeYaml('tags:\n  webhook: { env: FP_SLACK_URL }\n');
  const recordOfAny = z.strictObject({ gateway: schema.shape.gateway, tags: z.record(z.string(), z.unknown()).default({}) });
  const config = loadConfig({ schema: recordOfAny, file, envPrefix: 'FP_', env, unknownVariables: { ignore: ['FP_TEST_*', 'FP_JAVA'] } });
  t.equal(config.gateway.port, 7070);
});

t.test('loadConfig unknown variables off by default', async (t) => {
  const config = loadConfig({ schema, envPrefix: 'FP_', env: { FP_GATEWAY_PROT: '9999' } });
  t.equal(config.gateway.port, 8080);
});

t.test('loadConfig reports every issue', async (t) => {
  const { error } = fileError('gateway:\n  port: -1\n  timeout: soon\nenabled: maybe\n');
  t.same(error.issues.map((issue) => issue.key).sort(), ['enabled', 'gateway.port', 'gateway.timeout']);
  t.match(error.message, /gateway\.timeout: expected a duration such as 500ms, 30s, 5m or 1h, found "soon"/);
  t.match(error.message, /enabled: expected true or false, found "maybe"/);
});

t.test('loadConfig duration without unit', async (t) => {
  const { error } = fileError('gateway:\n  timeout: 10\n');
  t.equal(error.issues[0]!.message, 'expected a duration with a unit such as 30s or 5m, found the number 10');
});

t.test('loadConfig reports YAML syntax errors', async (t) => {
  const { file, error } = fileError('gateway:\n  port: [1, 2\n');
  t.equal(error.issues[0]!.key, '(syntax)');
  t.match(error.issues[0]!.source, new RegExp(`^${file}:\\d+:\\d+$`));
});

t.test('loadConfig missing file', async (t) => {
  const error = configError(() => loadConfig({ schema, file: '/nonexistent/fleetpulse.yml', envPrefix: 'FP_', env: {} }));
  t.match(error.message, /cannot read the configuration file/);
});
