import t, { type Test } from 'tap';
import { ConfigError } from '../config/load.js';
import { fleetpulseConfigSchema, loadAgentConfig, loadFleetpulseConfig } from './config.js';
import { duckdbPath } from './pipeline.js';
import { writeTemporaryFile } from './test-support/files.js';

const EMBEDDED = new URL('../../config/embedded.yml', import.meta.url).pathname;

/** Lists the issues of the ConfigError that `load` raises, each `position key: message` with the file name left out. */
function errorLines(load: () => unknown, file?: string): string[] {
  try {
    load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => `${file === undefined ? issue.source : issue.source.replace(file, '')} ${issue.key === '' ? '' : `${issue.key}: `}${issue.message}`);
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

/** Writes `text` to a temporary file called `name`, loads it with `load` and no environment variables, and returns its errorLines. */
function fileErrorLines(t: Test, name: string, text: string, load: (file: string, env: NodeJS.ProcessEnv) => unknown = loadFleetpulseConfig): string[] {
  const file = writeTemporaryFile(t, name, text, 'fleetpulse-config-');
  return errorLines(() => load(file, {}), file);
}

t.test('fleetpulse config newcomer mistakes', async (t) => {
  t.same(fileErrorLines(t, 'fleetpulse.yml', 'gateway:\n  prot: 9999\nprocessor:\n  rule_files: rules/\nlocal_agent:\n  tags: [local]\n'), [
    ":2:3 gateway.prot: unknown key; did you mean 'port'? docs/configuration.md lists every key",
    ':4:15 processor.rule_files: expected a list of file or folder paths, such as [rules/], found "rules/"',
    ':6:9 local_agent.tags: expected a mapping of tag names to values, such as {env: prod}, found ["local"]',
  ]);
});

t.test('fleetpulse config unknown key without suggestion', async (t) => {
  t.same(fileErrorLines(t, 'fleetpulse.yml', 'store:\n  sqlite: {}\n'), [':2:3 store.sqlite: unknown key; the keys of store are duckdb, questdb; docs/configuration.md lists every key']);
});

t.test('fleetpulse config brokers hint', async (t) => {
  t.same(fileErrorLines(t, 'fleetpulse.yml', 'bus:\n  kafka:\n    brokers: 127.0.0.1:9092\n'), [':3:14 bus.kafka.brokers: expected a list of host:port addresses, such as [127.0.0.1:9092], found "127.0.0.1:9092"']);
});

t.test('fleetpulse config misspelt variable', async (t) => {
  t.same(errorLines(() => loadFleetpulseConfig(undefined, { FLEETPULSE_GATEWAY_PROT: '9999' })), [
    'environment variable FLEETPULSE_GATEWAY_PROT unknown variable: it overrides no configuration key; did you mean FLEETPULSE_GATEWAY_PORT?',
  ]);
});

t.test('fleetpulse config variables of other tools', async (t) => {
  const env = {
    FLEETPULSE_TEST_KAFKA_BROKERS: '127.0.0.1:9092',
    FLEETPULSE_BENCH_DURATION: '10',
    FLEETPULSE_SERVICES_DIR: '/tmp/services',
    FLEETPULSE_KAFKA_PORT: '9092',
    FLEETPULSE_QUESTDB_HTTP_PORT: '9000',
    FLEETPULSE_JAVA: '/usr/bin/java',
    FLEETPULSE_AGENT_CLIENT_SECRET: 'secret',
    FLEETPULSE_GATEWAY_PORT: '9090',
  };

  t.equal(loadFleetpulseConfig(EMBEDDED, env).gateway.port, 9090);
});

t.test('fleetpulse config secret variable with prefix', async (t) => {
  const file = writeTemporaryFile(t, 'fleetpulse.yml', 'notifier:\n  receivers:\n    - { name: console, type: console }\n    - { name: chat, type: slack, webhook_url: { env: FLEETPULSE_SLACK_WEBHOOK } }\n');

  const config = loadFleetpulseConfig(file, { FLEETPULSE_SLACK_WEBHOOK: 'https://hooks.slack.com/services/T0/B0/x' });

  t.equal(config.notifier.receivers.length, 2);
});

t.test('agent config newcomer mistakes', async (t) => {
  t.same(fileErrorLines(t, 'agent.yml', 'agent_id: web-1\ntags: prod\nprobe_target: [db-1:5432]\n', loadAgentConfig), [
    ':2:7 tags: expected a mapping of tag names to values, such as {env: prod}, found "prod"',
    ":3:1 probe_target: unknown key; did you mean 'probe_targets'? agent/README.md lists every key",
  ]);
});

t.test('agent config misspelt variable', async (t) => {
  t.same(errorLines(() => loadAgentConfig(undefined, { FLEETPULSE_AGENT_INTERVALL: '5s' })), [
    'environment variable FLEETPULSE_AGENT_INTERVALL unknown variable: it overrides no configuration key; did you mean FLEETPULSE_AGENT_INTERVAL?',
  ]);
});

t.test('duckdb path follows data_dir', async (t) => {
  t.equal(duckdbPath(fleetpulseConfigSchema.parse({ data_dir: '/srv/fleetpulse' })), '/srv/fleetpulse/fleetpulse.duckdb');
  t.equal(duckdbPath(fleetpulseConfigSchema.parse({ data_dir: '/srv/fleetpulse', store: { duckdb: { path: 'metrics/store.duckdb' } } })), '/srv/fleetpulse/metrics/store.duckdb');
  t.equal(duckdbPath(fleetpulseConfigSchema.parse({ data_dir: '/srv/fleetpulse', store: { duckdb: { path: '/var/lib/fp.duckdb' } } })), '/var/lib/fp.duckdb');
  t.equal(duckdbPath(fleetpulseConfigSchema.parse({ store: { duckdb: { path: ':memory:' } } })), ':memory:');
});

t.test('embedded config moves with data_dir', async (t) => {
  const config = loadFleetpulseConfig(EMBEDDED, { FLEETPULSE_DATA_DIR: '/srv/fleetpulse' });

  t.equal(duckdbPath(config), '/srv/fleetpulse/fleetpulse.duckdb');
});

t.test('fleetpulse config receiver missing a required key', async (t) => {
  t.same(fileErrorLines(t, 'fleetpulse.yml', 'notifier:\n  receivers:\n    - { name: hook, type: webhook, ulr: "https://127.0.0.1:9/hook" }\n'), [
    ':3:7 notifier.receivers.0.url: missing; this key is required here',
    ":3:36 notifier.receivers.0.ulr: unknown key; did you mean 'url'? docs/configuration.md lists every key",
  ]);
});

t.test('fleetpulse config route matcher written as a mapping', async (t) => {
  t.same(fileErrorLines(t, 'fleetpulse.yml', 'router:\n  routes:\n    - { matchers: [{ env: local }] }\n'), [
    `:3:20 router.routes.0.matchers.0: expected a matcher written as text, such as 'env="prod"' or 'region=~"eu-.*"', found {"env":"local"}`,
  ]);
});
