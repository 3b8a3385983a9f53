import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { ConfigError } from '../config/load.js';
import { silentLogger } from '../log/logger.js';
import { parseCommand, UsageError } from './args.js';
import { fleetpulseConfigSchema, loadFleetpulseConfig } from './config.js';
import { startPipeline } from './pipeline.js';

const run = promisify(execFile);
const MAIN = new URL('./main.ts', import.meta.url).pathname;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function writeConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fleetpulse-cli-')), 'fleetpulse.yml');
  writeFileSync(file, text);
  return file;
}

t.test('parseCommand reads run roles', async (t) => {
  t.same(parseCommand(['run']), { name: 'run', config: undefined, roles: ['gateway', 'processor', 'router', 'sink', 'dashboard'] });
  t.same(parseCommand(['run', '--config', 'a.yml', '--role', 'gateway', '--role', 'sink']), { name: 'run', config: 'a.yml', roles: ['gateway', 'sink'] });
  t.same(parseCommand(['agent', '-c', 'agent.yml']), { name: 'agent', config: 'agent.yml' });
  t.same(parseCommand(['rules', 'check', 'a.yml', 'b.yml']), { name: 'rules', action: 'check', files: ['a.yml', 'b.yml'], config: undefined });
});

t.test('parseCommand reads rules options', async (t) => {
  t.same(parseCommand(['rules', 'test', '--config', 'fleetpulse.yml', 'cpu.test.yml']), { name: 'rules', action: 'test', files: ['cpu.test.yml'], config: 'fleetpulse.yml' });
  t.same(parseCommand(['rules', 'check', 'rules/', '-c', 'fleetpulse.yml']), { name: 'rules', action: 'check', files: ['rules/'], config: 'fleetpulse.yml' });
  t.same(parseCommand(['rules', 'fmt', 'a.yml']), { name: 'rules', action: 'fmt', files: ['a.yml'], write: false });
  t.same(parseCommand(['rules', 'fmt', '--write', 'a.yml', 'b.yml']), { name: 'rules', action: 'fmt', files: ['a.yml', 'b.yml'], write: true });
  t.same(parseCommand(['rules', 'fmt', 'a.yml', '-w']), { name: 'rules', action: 'fmt', files: ['a.yml'], write: true });
});

t.test('parseCommand reads help after a command', async (t) => {
  t.same(parseCommand(['rules', '--help']), { name: 'help' });
  t.same(parseCommand(['credentials', 'create', '-h']), { name: 'help' });
  t.same(parseCommand(['run', '--config', 'f.yml', '--help']), { name: 'help' });
});

t.test('parseCommand rejects misplaced rules options', async (t) => {
  t.throws(() => parseCommand(['rules', 'check', '--write', 'a.yml']), new UsageError('--write applies only to rules fmt, not rules check'));
  t.throws(() => parseCommand(['rules', 'fmt', '--config', 'f.yml', 'a.yml']), new UsageError('--config applies to rules check and rules test; rules fmt needs no configuration'));
  t.throws(() => parseCommand(['rules', 'test']), new UsageError('rules test needs at least one test file'));
  t.throws(() => parseCommand(['rules', 'fmt', '--write']), new UsageError('rules fmt needs at least one rule file'));
});

t.test('parseCommand rejects bad command lines', async (t) => {
  t.throws(() => parseCommand(['run', '--role', 'console']), new UsageError('unknown role "console"; expected one of gateway, processor, router, sink, dashboard'));
  t.throws(() => parseCommand(['launch']), new UsageError('unknown command "launch"; run fleetpulse --help'));
  t.throws(() => parseCommand(['rules', 'lint', 'a.yml']), new UsageError('expected rules check, rules test or rules fmt, found "rules lint"'));
  t.throws(() => parseCommand(['rules', 'check']), new UsageError('rules check needs at least one rule file'));
  t.throws(() => parseCommand(['run', '--verbose']), UsageError);
});

t.test('loadFleetpulseConfig checks receiver references', async (t) => {
  const file = writeConfig(`
router:
  default_receivers: [console, pager]
notifier:
  receivers:
    - { name: console, type: console }
`);
  const error = t.throws(() => loadFleetpulseConfig(file, {})) as unknown as ConfigError;
  t.ok(error instanceof ConfigError);
  t.same(error.issues, [{ key: 'router.default_receivers.1', source: file, message: 'unknown receiver "pager"; define it under notifier.receivers or name one of console' }]);
});

t.test('loadFleetpulseConfig rejects unknown keys', async (t) => {
  const file = writeConfig(`
processor:
  rules: []
notifier:
  receivers: [{ name: console, type: console }]
`);
  const error = t.throws(() => loadFleetpulseConfig(file, {})) as unknown as ConfigError;
  t.same(error.issues, [{ key: 'processor.rules', source: `${file}:3:3`, message: "unknown key; did you mean 'rule_files'? docs/configuration.md lists every key" }]);
});

t.test('shipped configuration files load', async (t) => {
  for (const name of ['embedded', 'distributed']) {
    const config = loadFleetpulseConfig(new URL(`../../config/${name}.yml`, import.meta.url).pathname, {});
    t.equal(config.deployment, name);
    t.equal(config.gateway.port, 8443);
  }
});

t.test('startPipeline rejects a single role when embedded', async (t) => {
  const config = fleetpulseConfigSchema.parse({ notifier: { receivers: [{ name: 'console', type: 'console' }] } });
  await t.rejects(startPipeline(config, { roles: ['gateway'], logger: silentLogger }), {
    name: 'UsageError',
    message: '--role gateway needs deployment: distributed, because the embedded deployment\'s in-process bus connects roles only within one process',
  });
});

t.test('fleetpulse exits 1 on invalid configuration', async (t) => {
  const file = writeConfig('gateway:\n  port: 99999\n');
  const result = await cli(['run', '--config', file]);
  t.equal(result.code, 1);
  t.equal(result.stderr.trim(), `fleetpulse: invalid configuration:\n  ${file}:2:9: gateway.port: must be at most 65535, found 99999`);
});

t.test('fleetpulse exits 2 on a bad command line', async (t) => {
  const result = await cli(['run', '--role', 'nope']);
  t.equal(result.code, 2);
  t.match(result.stderr, /^fleetpulse: unknown role "nope"; expected one of gateway, processor, router, sink, dashboard/);
  t.match(result.stderr, /Usage:/);
});

t.test('fleetpulse --help prints usage', async (t) => {
  const result = await cli(['--help']);
  t.equal(result.code, 0);
  t.match(result.stdout, /fleetpulse run \[--config FILE\] \[--role ROLE\]/);
});
