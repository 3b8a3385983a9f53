import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatDiagnostics, type Diagnostic } from '../../grammar/diagnostics.js';
import type { ExpectedAlert } from './rule-test-file.js';
import { type ActualAlert, compareAlerts, expandRuleFilePaths, receiversNamedIn, runRuleTestFile } from './rule-test.js';

const EXAMPLE = new URL('../../examples/rules/high-cpu.test.yml', import.meta.url).pathname;

const RULES = `- name: HighCPU
  condition: cpu_usage > 90
  duration: 3m
  severity: critical
  notify: [pager]

- name: DiskFull
  condition: disk_used_pct > 90
  severity: warning
  labels: { team: storage }
  annotations:
    summary: "{{label.mount}} at {{value}}% on {{agent}}"

- name: AgentSilent
  condition: absent(1m)
  severity: critical
`;

/** Writes files into a new directory and returns its path. */
function directoryWith(files: Record<string, string>): string {
  const directory = mkdtempSync(join(tmpdir(), 'fleetpulse-rule-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
}

/** Runs a test file written beside the rules above. */
async function run(testFile: string, rules = RULES) {
  const directory = directoryWith({ 'rules.yml': rules, 'cpu.test.yml': testFile });
  return { directory, result: await runRuleTestFile(join(directory, 'cpu.test.yml')) };
}

/** [line, column, message] of each diagnostic. */
function where(diagnostics: Diagnostic[]): Array<[number, number, string]> {
  return diagnostics.map((diagnostic) => [diagnostic.line, diagnostic.column, diagnostic.message]);
}

const HIGH_CPU_SERIES = `    interval: 10s
    input_series:
      - agent: web-1
        metric: cpu_usage
        values: '50 95x20 40'
`;

function expected(labels: Record<string, string>, extra: Partial<ExpectedAlert> = {}): ExpectedAlert {
  return { labels, annotations: {}, state: 'firing', line: 1, ...extra };
}

function actual(labels: Record<string, string>, extra: Partial<ActualAlert> = {}): ActualAlert {
  return { labels: { alertname: 'HighCPU', severity: 'critical', ...labels }, annotations: {}, state: 'firing', value: 95, activeAtMs: 10_000, ...extra };
}

t.test('rule test example file passes', async (t) => {
  const result = await runRuleTestFile(EXAMPLE);
  t.same(result.diagnostics, []);
  t.same(
    result.tests.map((test) => [test.name, test.passed]),
    [
      ['HighCPU fires after three minutes, not before', true],
      ['HighCPU resolves when the load drops', true],
      ['DiskFull fills its annotations', true],
      ['AgentSilent fires after a minute of silence', true],
    ],
  );
  t.ok(result.tests.every((test) => test.checks.length > 0 && test.checks.every((check) => check.passed)));
});

t.test('rule test passing case', async (t) => {
  const { result } = await run(`rule_files: [rules.yml]
tests:
  - name: HighCPU fires after three minutes
${HIGH_CPU_SERIES}    alert_rule_test:
      - eval_time: 3m
        alertname: HighCPU
        exp_alerts: []
      - eval_time: 3m10s
        alertname: HighCPU
        exp_alerts:
          - exp_labels: { agent: web-1, severity: critical }
`);
  t.same(result.diagnostics, []);
  t.equal(result.tests.length, 1);
  const test = result.tests[0]!;
  t.equal(test.passed, true);
  t.same(test.checks.map((check) => [check.evalTimeMs, check.passed, check.line]), [[180_000, true, 10], [190_000, true, 13]]);
  t.same(test.checks[0]!.uncomparedPending.map((alert) => alert.labels.agent), ['web-1'], 'the pending alert is kept aside, not compared');
});

t.test('rule test failing case', async (t) => {
  const { result } = await run(`rule_files: [rules.yml]
tests:
  - name: HighCPU expectations off by one step
${HIGH_CPU_SERIES}    alert_rule_test:
      - eval_time: 3m
        alertname: HighCPU
        exp_alerts:
          - exp_labels: { agent: web-1 }
      - eval_time: 3m40s
        alertname: HighCPU
        exp_alerts:
          - exp_labels: { agent: web-1 }
`);
  const test = result.tests[0]!;
  t.equal(test.passed, false);

  const [early, late] = test.checks;
  t.equal(early!.passed, false);
  t.same(early!.missing, [{ labels: { agent: 'web-1' }, annotations: {}, state: 'firing', line: 13 }]);
  t.same(early!.unexpected, []);
  t.same(early!.mismatched, []);
  t.same(early!.uncomparedPending, [
    { labels: { severity: 'critical', alertname: 'HighCPU', agent: 'web-1' }, annotations: {}, state: 'pending', value: 95, activeAtMs: 10_000 },
  ]);

  t.equal(late!.passed, false, 'resolved at 3m40s, so nothing is firing');
  t.equal(late!.missing.length, 1);
});

t.test('rule test unexpected and differing alerts', async (t) => {
  const { result } = await run(`rule_files: [rules.yml]
tests:
  - name: disks
    input_series:
      - { agent: db-1, series: 'disk_used_pct{mount="/"}', values: '95' }
      - { agent: db-1, series: 'disk_used_pct{mount="/data"}', values: '97.5' }
    alert_rule_test:
      - eval_time: 0s
        alertname: DiskFull
        exp_alerts:
          - exp_labels: { mount: / }
            exp_annotations: { summary: "/ at 95 on db-1" }
            exp_state: pending
`);
  const check = result.tests[0]!.checks[0]!;
  t.same(check.missing, []);
  t.same(check.mismatched.map((mismatch) => [mismatch.actual.labels.mount, mismatch.differences]), [
    [
      '/',
      [
        { field: 'annotations.summary', expected: '/ at 95 on db-1', actual: '/ at 95% on db-1' },
        { field: 'state', expected: 'pending', actual: 'firing' },
      ],
    ],
  ]);
  t.same(check.unexpected, [
    {
      labels: { severity: 'warning', mount: '/data', team: 'storage', alertname: 'DiskFull', agent: 'db-1' },
      annotations: { summary: '/data at 97.5% on db-1' },
      state: 'firing',
      value: 97.5,
      activeAtMs: 0,
    },
  ]);
});

t.test('rule test pending state from transitions', async (t) => {
  const { result } = await run(`rule_files: [rules.yml]
tests:
  - name: pending then inactive
    interval: 1m
    input_series:
      - { agent: web-1, metric: cpu_usage, values: '95 95 10' }
    alert_rule_test:
      - eval_time: 1m
        alertname: HighCPU
        exp_alerts:
          - { exp_labels: { agent: web-1 }, exp_state: pending }
      - eval_time: 2m
        alertname: HighCPU
        exp_alerts: []
      - eval_time: 2m
        alertname: HighCPU
        exp_alerts:
          - { exp_labels: { agent: web-1 }, exp_state: pending }
`);
  t.same(result.tests[0]!.checks.map((check) => check.passed), [true, true, false], 'a pending alert whose condition stops holding is inactive, not pending');
});

t.test('rule test absent between samples', async (t) => {
  const { result } = await run(`rule_files: [rules.yml]
tests:
  - name: dead man
    interval: 15s
    input_series:
      - { agent: web-1, metric: heartbeat, values: '1' }
      - { agent: web-2, metric: heartbeat, values: '1x8' }
    alert_rule_test:
      - eval_time: 45s
        alertname: AgentSilent
        exp_alerts: []
      - eval_time: 1m
        alertname: AgentSilent
        exp_alerts:
          - exp_labels: { agent: web-1 }
      - eval_time: 2m59s
        alertname: AgentSilent
        exp_alerts:
          - exp_labels: { agent: web-1 }
      - eval_time: 3m
        alertname: AgentSilent
        exp_alerts:
          - exp_labels: { agent: web-1 }
          - exp_labels: { agent: web-2 }
`);
  t.same(result.diagnostics, []);
  t.same(result.tests[0]!.checks.map((check) => [check.evalTimeMs, check.passed]), [[45_000, true], [60_000, true], [179_000, true], [180_000, true]]);
});

t.test('rule test samples of agents at one time', async (t) => {
  const { result } = await run(`rule_files: [rules.yml]
tests:
  - name: two agents, one disk each
    input_series:
      - { agent: db-1, series: 'disk_used_pct{mount="/"}', values: '91 10' }
      - { agent: db-2, series: 'disk_used_pct{mount="/"}', values: '_ 99' }
      - { agent: db-1, metric: cpu_usage, values: '1 1' }
    alert_rule_test:
      - eval_time: 0s
        alertname: DiskFull
        exp_alerts:
          - exp_labels: { agent: db-1 }
      - eval_time: 1m
        alertname: DiskFull
        exp_alerts:
          - exp_labels: { agent: db-2, team: storage, severity: warning, alertname: DiskFull }
`);
  t.same(result.tests[0]!.checks.map((check) => check.passed), [true, true]);
});

t.test('rule test invalid rule files', async (t) => {
  const missing = await run('rule_files: [rules.yml, nope.yml]\ntests: [{ name: t, alert_rule_test: [{ eval_time: 0s, alertname: HighCPU }] }]\n');
  t.same(where(missing.result.diagnostics), [[1, 25, `rule file not found: ${join(missing.directory, 'nope.yml')}`]]);
  t.same(missing.result.tests, []);

  const broken = await run('rule_files: [rules.yml]\ntests: [{ name: t, alert_rule_test: [{ eval_time: 0s, alertname: HighCPU }] }]\n', '- name: HighCPU\n  condition: cpu_usage >\n  severity: critical\n');
  t.equal(
    formatDiagnostics(broken.result.diagnostics),
    `${join(broken.directory, 'rules.yml')}:2:25: error in rule HighCPU: expected a value after '>' but found the end of the condition
  2 |   condition: cpu_usage >
    |                         ^`,
  );
});

t.test('rule test unknown alertname', async (t) => {
  const { result } = await run('rule_files: [rules.yml]\ntests:\n  - name: t\n    alert_rule_test:\n      - { eval_time: 0s, alertname: HighCPUU }\n      - { eval_time: 0s, alertname: Other }\n');
  t.same(where(result.diagnostics), [
    [5, 37, "no rule named 'HighCPUU' in the rule files: did you mean 'HighCPU'?"],
    [6, 37, "no rule named 'Other' in the rule files: the rules are HighCPU, DiskFull, AgentSilent"],
  ]);
});

t.test('rule test receivers option', async (t) => {
  const testFile = 'rule_files: [rules.yml]\ntests: [{ name: t, alert_rule_test: [{ eval_time: 0s, alertname: HighCPU }] }]\n';
  const directory = directoryWith({ 'rules.yml': RULES, 'cpu.test.yml': testFile });
  const any = await runRuleTestFile(join(directory, 'cpu.test.yml'));
  t.same(any.diagnostics, [], 'any receiver without a list');

  const restricted = await runRuleTestFile(join(directory, 'cpu.test.yml'), { receivers: ['oncall'] });
  t.same(where(restricted.diagnostics), [[5, 12, "unknown receiver 'pager': the receivers are oncall"]]);
});

t.test('rule test unreadable test file', async (t) => {
  const result = await runRuleTestFile('/nonexistent/cpu.test.yml');
  t.match(result.diagnostics[0]!.message, /^failed to read the test file: ENOENT/);
});

t.test('compareAlerts ignores order', async (t) => {
  const result = compareAlerts([expected({ agent: 'a' }), expected({ agent: 'b' })], [actual({ agent: 'b' }), actual({ agent: 'a' })]);
  t.same(result, { missing: [], unexpected: [], mismatched: [] });
});

t.test('compareAlerts loose expectation takes no needed alert', async (t) => {
  // {} fits both alerts; a greedy pass could give it agent a and leave {agent: a} unmatched.
  const result = compareAlerts([expected({}), expected({ agent: 'a' })], [actual({ agent: 'a' }), actual({ agent: 'b' })]);
  t.same(result, { missing: [], unexpected: [], mismatched: [] });
});

t.test('compareAlerts pairs the closest alert', async (t) => {
  const result = compareAlerts([expected({ agent: 'web-1', mount: '/' })], [actual({ agent: 'web-1', mount: '/data' })]);
  t.same(result.missing, []);
  t.same(result.unexpected, []);
  t.same(result.mismatched.map((mismatch) => mismatch.differences), [[{ field: 'labels.mount', expected: '/', actual: '/data' }]]);
});

t.test('compareAlerts unrelated alerts stay apart', async (t) => {
  const result = compareAlerts([expected({ agent: 'web-2', alertname: 'HighCPU' })], [actual({ agent: 'web-1' })]);
  t.same(result.missing.map((alert) => alert.labels), [{ agent: 'web-2', alertname: 'HighCPU' }], 'agreeing on alertname alone is no pairing');
  t.same(result.unexpected.map((alert) => alert.labels.agent), ['web-1']);
  t.same(result.mismatched, []);
});

t.test('compareAlerts missing annotation', async (t) => {
  const result = compareAlerts([expected({ agent: 'a' }, { annotations: { runbook: 'x' } })], [actual({ agent: 'a' })]);
  t.same(result.mismatched.map((mismatch) => mismatch.differences), [[{ field: 'annotations.runbook', expected: 'x', actual: undefined }]]);
});

t.test('receiversNamedIn collects notify names', async (t) => {
  const directory = directoryWith({
    'a.yml': '- { name: A, condition: x > 1, severity: info, notify: [pager, email] }\n',
    'b.yaml': 'groups:\n  - name: g\n    rules:\n      - { name: B, condition: x > 1, severity: info, notify: chat }\n',
    'notes.txt': 'notify: ignored',
  });
  t.same(receiversNamedIn([directory]).sort(), ['chat', 'email', 'pager']);
  t.same(receiversNamedIn([join(directory, 'missing.yml')]), [], 'an unreadable file adds nothing');
});

t.test('expandRuleFilePaths directories and files', async (t) => {
  const directory = directoryWith({ 'b.yml': '', 'a.yaml': '', 'a.test.yml': '', 'c.txt': '' });
  mkdirSync(join(directory, 'sub.yml'));
  t.same(expandRuleFilePaths([directory]), ['a.yaml', 'b.yml', 'sub.yml'].map((name) => join(directory, name)), 'rule files, not their tests');
  t.same(expandRuleFilePaths([directory], (name) => name.endsWith('.test.yml')), [join(directory, 'a.test.yml')]);
  t.same(expandRuleFilePaths(['./x.yml', 'x.yml', 'missing/']), ['x.yml', 'missing/']);
});
