import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { runRuleTestFile } from '../../processors/rules/rule-test.js';
import type { Command } from './args.js';
import { formatTestFileResult, runRulesCommand, testSummary } from './rules.js';

const execute = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = new URL('./main.ts', import.meta.url).pathname;
const EXAMPLE_RULES = 'examples/rules/high-cpu.yml';
const EXAMPLE_TESTS = 'examples/rules/high-cpu.test.yml';

/** Runs `fleetpulse ARGS` from the repository root, as a user would. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execute(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Runs a rule command in this process and collects what it writes. */
async function runInProcess(command: Extract<Command, { name: 'rules' }>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runRulesCommand(command, {
    stdout: (text) => (stdout += `${text}\n`),
    stderr: (text) => (stderr += `${text}\n`),
  });
  return { code, stdout, stderr };
}

/** Writes files into a new directory and returns its path. */
function directoryWith(files: Record<string, string>): string {
  const directory = mkdtempSync(join(tmpdir(), 'fleetpulse-rules-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
}

const RULES = `- name: HighCPU
  condition: cpu_usage > 90
  duration: 3m
  severity: critical

- name: DiskFull
  condition: disk_used_pct > 90
  severity: warning
  annotations:
    summary: "{{label.mount}} at {{value}}% on {{agent}}"
`;

const FAILING_TEST = `rule_files: [rules.yml]
tests:
  - name: HighCPU fires after three minutes
    interval: 10s
    input_series:
      - { agent: web-1, metric: cpu_usage, values: '50 95x20 40' }
    alert_rule_test:
      - eval_time: 3m10s
        alertname: HighCPU
        exp_alerts:
          - exp_labels: { agent: web-1 }
  - name: HighCPU expectations wrong
    interval: 10s
    input_series:
      - { agent: web-1, metric: cpu_usage, values: '50 95x20 40' }
      - { agent: db-1, series: 'disk_used_pct{mount="/"}', values: '97.5' }
    alert_rule_test:
      - eval_time: 3m
        alertname: HighCPU
        exp_alerts:
          - exp_labels: { agent: web-1 }
      - eval_time: 3m10s
        alertname: HighCPU
        exp_alerts: []
      - eval_time: 0s
        alertname: DiskFull
        exp_alerts:
          - exp_labels: { agent: db-1, severity: critical }
            exp_annotations: { summary: "/ at 97% on db-1" }
          - exp_labels: { agent: db-2 }
`;

t.test('formatTestFileResult failure text', async (t) => {
  const directory = directoryWith({ 'rules.yml': RULES, 'cpu.test.yml': FAILING_TEST });
  const file = join(directory, 'cpu.test.yml');
  const result = await runRuleTestFile(file);
  t.same(result.diagnostics, []);
  t.equal(
    formatTestFileResult(result),
    `${file}
  PASS  HighCPU fires after three minutes
  FAIL  HighCPU expectations wrong
    ${file}:18:9: HighCPU at 3m
      missing alert {agent="web-1"} firing
      not compared, because pending: {agent="web-1", severity="critical"} (active since 10s, value 95); to expect it, add exp_state: pending
    ${file}:22:9: HighCPU at 3m10s
      unexpected alert {agent="web-1", severity="critical"} firing (active since 10s, value 95)
    ${file}:25:9: DiskFull at 0s
      missing alert {agent="db-2"} firing
      alert {agent="db-1", severity="critical"} differs:
        labels.severity: expected "critical", got "warning"
        annotations.summary: expected "/ at 97% on db-1", got "/ at 97.5% on db-1"`,
  );
  t.same(testSummary([result]), { text: '2 tests in 1 file: 1 passed, 1 failed', ok: false });
});

t.test('formatTestFileResult unexpected annotations', async (t) => {
  const directory = directoryWith({
    'rules.yml': RULES,
    'disk.test.yml': `rule_files: [rules.yml]
tests:
  - name: no disk alert expected
    input_series:
      - { agent: db-1, series: 'disk_used_pct{mount="/"}', values: '97' }
    alert_rule_test:
      - { eval_time: 0s, alertname: DiskFull, exp_alerts: [] }
`,
  });
  const file = join(directory, 'disk.test.yml');
  t.equal(
    formatTestFileResult(await runRuleTestFile(file)),
    `${file}
  FAIL  no disk alert expected
    ${file}:7:9: DiskFull at 0s
      unexpected alert {agent="db-1", mount="/", severity="warning"} firing (active since 0s, value 97)
        annotations {summary="/ at 97% on db-1"}`,
  );
});

t.test('testSummary counts', async (t) => {
  const passed = { file: 'a.test.yml', diagnostics: [], tests: [{ name: 'a', line: 1, passed: true, checks: [] }] };
  const invalid = { file: 'b.test.yml', diagnostics: [{ severity: 'error' as const, file: 'b.test.yml', line: 0, column: 0, endColumn: 0, sourceLine: '', message: 'x' }], tests: [] };
  t.same(testSummary([passed]), { text: '1 test in 1 file passed', ok: true });
  t.same(testSummary([passed, invalid]), { text: '1 test in 2 files: 1 passed, 0 failed, 1 invalid file not run', ok: false });
});

// The first tests run the command as a user does, through main.ts, for the
// exit statuses; the later ones call runRulesCommand, which is faster.

t.test('fleetpulse rules check good and bad files', async (t) => {
  const good = await cli(['rules', 'check', EXAMPLE_RULES]);
  t.equal(good.code, 0);
  t.equal(good.stdout, '3 rules in 1 file OK\n');
  t.equal(good.stderr, '');

  const directory = directoryWith({
    'bad.yml': `- name: HighCPU
  condition: avg(cpu_usage, 5) > 80
  severity: critical
  notify: [anyone]
`,
  });
  const file = join(directory, 'bad.yml');
  const bad = await cli(['rules', 'check', file]);
  t.equal(bad.code, 1);
  t.equal(bad.stdout, '');
  t.equal(
    bad.stderr,
    `${file}:2:29: error in rule HighCPU: expected a duration such as 5m after ',' but found '5'
  2 |   condition: avg(cpu_usage, 5) > 80
    |                             ^

1 error in ${file}
`,
    'the receiver is accepted without --config',
  );
});

t.test('fleetpulse rules test good and bad files', async (t) => {
  const good = await cli(['rules', 'test', EXAMPLE_TESTS]);
  t.equal(good.code, 0);
  t.equal(
    good.stdout,
    `${EXAMPLE_TESTS}
  PASS  HighCPU fires after three minutes, not before
  PASS  HighCPU resolves when the load drops
  PASS  DiskFull fills its annotations
  PASS  AgentSilent fires after a minute of silence
4 tests in 1 file passed
`,
  );
  t.equal(good.stderr, '');

  const directory = directoryWith({
    'rules.yml': RULES,
    'cpu.test.yml': FAILING_TEST,
    'broken.test.yml': "rule_files: [rules.yml]\ntests:\n  - name: t\n    input_series:\n      - { agent: a, metric: cpu_usage, values: '1 2x' }\n    alert_rule_test: [{ eval_time: 0s, alertname: HighCPU }]\n",
  });
  const bad = await cli(['rules', 'test', directory]);
  t.equal(bad.code, 1);
  t.match(bad.stdout, 'FAIL  HighCPU expectations wrong');
  t.match(bad.stdout, /\n2 tests in 2 files: 1 passed, 1 failed, 1 invalid file not run\n$/);
  const broken = join(directory, 'broken.test.yml');
  t.equal(
    bad.stderr,
    `${broken}:5:51: error: invalid value '2x': expected a count after 'x', as in 2x10
  5 |       - { agent: a, metric: cpu_usage, values: '1 2x' }
    |                                                   ^^

1 error in ${broken}; the tests of ${broken} did not run

`,
  );
});

t.test('fleetpulse rules fmt good and bad files', async (t) => {
  const directory = directoryWith({
    'messy.yml': '- name: A\n  severity: info\n  condition: ((x>1))\n  duration: 90s\n',
    'bad.yml': '- name: A\n  condition: x >\n  severity: info\n',
  });
  const messy = join(directory, 'messy.yml');
  const good = await cli(['rules', 'fmt', EXAMPLE_RULES, messy]);
  t.equal(good.code, 0);
  t.equal(
    good.stdout,
    `==> ${EXAMPLE_RULES} <==\n${readFileSync(join(ROOT, EXAMPLE_RULES), 'utf8')}==> ${messy} <==\n- name: A\n  condition: x > 1\n  duration: 1m30s\n  severity: info\n`,
    'the example is already canonical',
  );
  t.equal(readFileSync(messy, 'utf8'), '- name: A\n  severity: info\n  condition: ((x>1))\n  duration: 90s\n', 'without --write the file is left as it was');

  const file = join(directory, 'bad.yml');
  const bad = await cli(['rules', 'fmt', file]);
  t.equal(bad.code, 1);
  t.equal(bad.stdout, '');
  t.equal(
    bad.stderr,
    `${file}:2:17: error in rule A: expected a value after '>' but found the end of the condition
  2 |   condition: x >
    |                 ^

1 error in ${file}; files with errors are left as they are
`,
  );
});

t.test('rules check receivers from --config', async (t) => {
  const directory = directoryWith({ 'fleetpulse.yml': 'notifier:\n  receivers:\n    - { name: pager, type: console }\nrouter:\n  default_receivers: [pager]\n' });
  const result = await runInProcess({ name: 'rules', action: 'check', files: [EXAMPLE_RULES], config: join(directory, 'fleetpulse.yml') });
  t.equal(result.code, 1);
  t.equal(
    result.stderr,
    `${EXAMPLE_RULES}:15:12: error in rule DiskFull: unknown receiver 'console': the receivers are pager
  15 |   notify: [console]
     |            ^^^^^^^

1 error in ${EXAMPLE_RULES}
`,
  );
});

t.test('rules check several files and an empty directory', async (t) => {
  const directory = directoryWith({ 'a.yml': '- { name: A, condition: x > 1, severity: info }\n', 'b.yml': '- { name: A, condition: x > 2, severity: info }\n' });
  mkdirSync(join(directory, 'empty'));
  const result = await runInProcess({ name: 'rules', action: 'check', files: [join(directory, 'a.yml'), join(directory, 'b.yml'), join(directory, 'empty')] });
  t.equal(result.code, 1);
  t.match(result.stderr, `${join(directory, 'b.yml')}:1:11: error in rule A: duplicate rule name 'A': first defined at ${join(directory, 'a.yml')}:1:11`);
  t.match(result.stderr, `${join(directory, 'empty')}: error: the directory contains no .yml or .yaml rule file`);
  t.match(result.stderr, /\n2 errors in 2 files\n$/);
});

t.test('rules test directory without test files', async (t) => {
  const directory = directoryWith({ 'rules.yml': RULES });
  const result = await runInProcess({ name: 'rules', action: 'test', files: [directory] });
  t.equal(result.code, 1);
  t.equal(result.stderr, `${directory}: error: the directory contains no .test.yml or .test.yaml file\n`);
});

t.test('rules fmt --write rewrites files', async (t) => {
  const directory = directoryWith({
    'messy.yml': '- name: A\n  severity: info\n  condition: ((x>1))\n',
    'tidy.yml': '- name: B\n  condition: x > 1\n  severity: info\n',
    'bad.yml': '- name: C\n  condition: x >\n  severity: info\n',
  });
  const tidyModified = statSync(join(directory, 'tidy.yml')).mtimeMs;
  const result = await runInProcess({ name: 'rules', action: 'fmt', files: [directory], write: true });
  t.equal(result.code, 1, 'bad.yml does not parse');
  t.equal(result.stdout, '');
  t.match(result.stderr, /\nrewrote 1 of 2 formatted files\n1 error in .*bad\.yml; files with errors are left as they are\n$/);
  t.equal(readFileSync(join(directory, 'messy.yml'), 'utf8'), '- name: A\n  condition: x > 1\n  severity: info\n');
  t.equal(statSync(join(directory, 'tidy.yml')).mtimeMs, tidyModified, 'a canonical file is not written');
  t.equal(readFileSync(join(directory, 'bad.yml'), 'utf8'), '- name: C\n  condition: x >\n  severity: info\n');
});

t.test('docs testing tutorial output is real', async (t) => {
  // docs/rules.md walks through a rule, a failing test and its fix; this
  // runs those files and compares the output the page shows.
  const docs = readFileSync(join(ROOT, 'docs/rules.md'), 'utf8');
  const section = docs.slice(docs.indexOf('## Testing rules\n'));
  const yamlBlocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const textBlocks = [...section.matchAll(/```text\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const [rule, failingTest, fix] = yamlBlocks;
  const [checkOutput, failingOutput, passingOutput] = textBlocks;

  const directory = directoryWith({ 'cpu.yml': rule!, 'cpu.test.yml': failingTest! });
  t.chdir(directory);
  const check = await runInProcess({ name: 'rules', action: 'check', files: ['cpu.yml'] });
  t.equal(`$ fleetpulse rules check cpu.yml\n${check.stdout}`, checkOutput);

  const failing = await runInProcess({ name: 'rules', action: 'test', files: ['cpu.test.yml'] });
  t.equal(failing.code, 1);
  t.equal(`$ fleetpulse rules test cpu.test.yml\n${failing.stdout}`, failingOutput);

  writeFileSync('cpu.test.yml', failingTest!.slice(0, failingTest!.indexOf('    alert_rule_test:')) + fix!);
  const passing = await runInProcess({ name: 'rules', action: 'test', files: ['cpu.test.yml'] });
  t.equal(passing.code, 0);
  t.equal(`$ fleetpulse rules test cpu.test.yml\n${passing.stdout}`, passingOutput);

  writeFileSync('cpu.test.yml', failingTest!.replace("'50 95x20 40'", "'50 95x 40'"));
  const invalid = await runInProcess({ name: 'rules', action: 'test', files: ['cpu.test.yml'] });
  t.equal(invalid.stderr.split('\n\n')[0], textBlocks[3]!.trimEnd(), 'the diagnostic example');
});

t.test('rules check reports every problem at once', async (t) => {
  const shipped = readFileSync(join(ROOT, 'rules/host.yml'), 'utf8');
  const directory = directoryWith({
    'host.yml': shipped,
    'mine.yml': '- name: HighCPU\n  condition: cpu_usage > 90\n  duration: 3m\n  severity: critical\n  notify: [oncall]\n',
  });

  const result = await runInProcess({ name: 'rules', action: 'check', files: [directory], config: join(ROOT, 'config/embedded.yml') });

  t.equal(result.code, 1);
  t.match(result.stderr, `${join(directory, 'mine.yml')}:1:9: error in rule HighCPU: duplicate rule name 'HighCPU': first defined at ${join(directory, 'host.yml')}:4:9`);
  t.match(result.stderr, `${join(directory, 'mine.yml')}:5:12: error in rule HighCPU: unknown receiver 'oncall': the receivers are console`);
  t.match(result.stderr, `2 errors in ${join(directory, 'mine.yml')}`);
});
