import t from 'tap';
import { formatDiagnostics, type Diagnostic } from '../../grammar/diagnostics.js';
import { DEFAULT_INTERVAL_MS, MAX_STEPS, parseRuleTestText, seriesText } from './rule-test-file.js';

/** [line, column, message] of each diagnostic, which is what a test needs to pin. */
function where(diagnostics: Diagnostic[]): Array<[number, number, string]> {
  return diagnostics.map((diagnostic) => [diagnostic.line, diagnostic.column, diagnostic.message]);
}

function errorsOf(text: string): Array<[number, number, string]> {
  return where(parseRuleTestText(text, 'rules/cpu.test.yml').diagnostics);
}

/** Builds a valid test file with `lines` added to its first series. */
function withSeries(lines: string): string {
  return `rule_files: [cpu.yml]
tests:
  - name: t
    input_series:
      - agent: web-1
${lines}
    alert_rule_test:
      - { eval_time: 1m, alertname: HighCPU }
`;
}

t.test('test file full example parses', async (t) => {
  const result = parseRuleTestText(
    `rule_files: [cpu.yml, ../shared/disk.yml]
tests:
  - name: HighCPU fires
    interval: 10s
    input_series:
      - agent: web-1
        tags: { env: prod }
        metric: cpu_usage
        labels: { core: 0 }
        values: '50 95x2 _ 40'
      - agent: web-1
        series: 'disk_used_pct{mount="/", device="sda"}'
        values: '1'
    alert_rule_test:
      - eval_time: 3m10s
        alertname: HighCPU
        exp_alerts:
          - exp_labels: { agent: web-1, severity: critical }
            exp_annotations: { summary: "CPU at 95%" }
          - exp_labels: { agent: web-2 }
            exp_state: pending
      - eval_time: 0
        alertname: HighCPU
`,
    'rules/cpu.test.yml',
  );
  t.same(result.diagnostics, []);
  const file = result.testFile!;
  t.same(file.ruleFiles, [
    { path: 'rules/cpu.yml', span: { start: 13, end: 20 } },
    { path: 'shared/disk.yml', span: { start: 22, end: 40 } },
  ], 'rule files resolve against the test file directory');

  const test = file.tests[0]!;
  t.equal(test.name, 'HighCPU fires');
  t.equal(test.line, 3);
  t.equal(test.intervalMs, 10_000);
  t.same(test.series, [
    { agent: 'web-1', metric: 'cpu_usage', labels: { core: '0' }, values: [50, 95, 95, 95, null, 40] },
    { agent: 'web-1', metric: 'disk_used_pct', labels: { mount: '/', device: 'sda' }, values: [1] },
  ]);
  t.same(test.tags, new Map([['web-1', { env: 'prod' }]]));
  t.same(test.checks.map((check) => [check.evalTimeMs, check.alertname, check.line, check.column]), [
    [190_000, 'HighCPU', 15, 9],
    [0, 'HighCPU', 22, 9],
  ]);
  t.same(test.checks[0]!.expected, [
    { labels: { agent: 'web-1', severity: 'critical' }, annotations: { summary: 'CPU at 95%' }, state: 'firing', line: 18 },
    { labels: { agent: 'web-2' }, annotations: {}, state: 'pending', line: 20 },
  ]);
  t.same(test.checks[1]!.expected, [], 'exp_alerts defaults to none');
});

t.test('test file defaults', async (t) => {
  const result = parseRuleTestText('rule_files: cpu.yml\ntests:\n  - name: t\n    alert_rule_test: [{ eval_time: 1m, alertname: A }]\n', 'cpu.test.yml');
  t.same(result.diagnostics, []);
  t.same(result.testFile!.ruleFiles.map((file) => file.path), ['cpu.yml'], 'one rule file without a list');
  t.equal(result.testFile!.tests[0]!.intervalMs, DEFAULT_INTERVAL_MS);
  t.same(result.testFile!.tests[0]!.series, []);
});

t.test('test file exact diagnostic text', async (t) => {
  const result = parseRuleTestText(withSeries("        metric: cpu_usage\n        values: '50 95x 40'"), 'rules/cpu.test.yml');
  t.equal(
    formatDiagnostics(result.diagnostics),
    `rules/cpu.test.yml:7:21: error: invalid value '95x': expected a count after 'x', as in 95x10
  7 |         values: '50 95x 40'
    |                     ^^^`,
  );
});

t.test('test file values errors point into the string', async (t) => {
  t.same(errorsOf(withSeries('        metric: cpu_usage\n        values: "1 stale"')), [
    [7, 20, "'stale' is not supported: fleetpulse has no staleness markers, so write _ for a step without a sample"],
  ]);
  t.same(errorsOf(withSeries('        metric: cpu_usage\n        values: >-\n          1 2\n          3 x')), [
    [9, 13, "invalid value 'x': write a number such as 95, _ for a missing sample, or an expansion a+bxN, a-bxN or axN such as 95x20"],
  ], 'block scalars map too');
  t.same(errorsOf(withSeries('        metric: cpu_usage\n        values: [1, 2]')), [
    [7, 17, "'values' must be a string of samples, such as '50 95x20 40', but found a list"],
  ]);
  t.same(errorsOf(withSeries('        metric: cpu_usage')), [[5, 9, "missing 'values': write the samples, as in values: '50 95x20 40'"]]);
  t.same(errorsOf(withSeries('        metric: cpu_usage\n        values: 5')), [], 'a single number is a valid series');
});

t.test('test file unknown keys', async (t) => {
  t.same(errorsOf(withSeries("        metric: cpu_usage\n        lables: {}\n        values: '1'")), [[7, 9, "unknown key 'lables': did you mean 'labels'?"]]);
  t.same(errorsOf(`rule_files: [cpu.yml]\nevaluation_interval: 1m\ntests: [{ name: t, alert_rule_test: [{ eval_time: 0s, alertname: A }] }]\n`), [
    [2, 1, "'evaluation_interval' is not supported: rules are evaluated on every sample, so set the spacing of samples with 'interval' in each test"],
  ]);
  t.same(errorsOf(`rule_files: [cpu.yml]\ntests:\n  - name: t\n    promql_expr_test: []\n    alert_rule_test: [{ eval_time: 0s, alertname: A }]\n`), [
    [4, 5, "'promql_expr_test' is not supported: rules are tested through their alerts, in 'alert_rule_test'"],
  ]);
  t.same(errorsOf(`rule_files: [cpu.yml]\ntests:\n  - name: t\n    alert_rule_test:\n      - { eval_time: 1m, alertname: A, exp_alerts: [{ labels: {} }] }\n`), [
    [5, 55, "unknown key 'labels': the keys here are exp_labels, exp_annotations, exp_state"],
  ]);
  t.same(errorsOf(`rule_files: [cpu.yml]\nrule_files: [b.yml]\ntests: [{ name: t, alert_rule_test: [{ eval_time: 0s, alertname: A }] }]\n`), [
    [2, 1, 'invalid YAML: map keys must be unique'],
  ]);
});

t.test('test file bad durations', async (t) => {
  const test = (lines: string) => `rule_files: [cpu.yml]\ntests:\n  - name: t\n${lines}\n`;
  t.same(errorsOf(test('    interval: 10 seconds\n    alert_rule_test: [{ eval_time: 0s, alertname: A }]')), [[4, 15, 'invalid \'interval\' "10 seconds": write a duration such as 30s, 5m or 1h30m']]);
  t.same(errorsOf(test('    interval: 10\n    alert_rule_test: [{ eval_time: 0s, alertname: A }]')), [[4, 15, "invalid 'interval' number 10: write a duration such as 30s, 5m or 1h30m"]]);
  t.same(errorsOf(test('    interval: 0s\n    alert_rule_test: [{ eval_time: 0s, alertname: A }]')), [[4, 15, "'interval' must be longer than zero"]]);
  t.same(errorsOf(test('    alert_rule_test:\n      - { eval_time: 1.5m, alertname: A }')), [[5, 22, 'invalid \'eval_time\' "1.5m": write a duration such as 30s, 5m or 1h30m']]);
  t.same(errorsOf(test('    interval: 1s\n    alert_rule_test:\n      - { eval_time: 2d, alertname: A }')), [
    [6, 22, `eval_time 2d is more than ${MAX_STEPS} steps of the interval 1s: raise 'interval' or check an earlier time`],
  ]);
  t.same(errorsOf(test('    alert_rule_test:\n      - { alertname: A }')), [[5, 9, "missing 'eval_time': the time since the test's start at which to check, as in eval_time: 5m"]]);
});

t.test('test file series selectors', async (t) => {
  t.same(errorsOf(withSeries("        series: 'disk{mount=~\"/.*\"}'\n        values: '1'")), [[6, 23, "a series has labels, not matchers: write mount=\"...\" with '=', not '=~'"]]);
  t.same(errorsOf(withSeries("        series: 'disk{mount=\"/\", mount=\"/data\"}'\n        values: '1'")), [[6, 34, "duplicate label 'mount'"]]);
  t.same(errorsOf(withSeries("        series: 'cpu_usage > 90'\n        values: '1'")), [[6, 18, "'series' must be a metric with labels, such as disk_used_pct{mount=\"/\"}, but found 'cpu_usage > 90'"]]);
  t.same(errorsOf(withSeries("        series: 'disk{mount=\"/\"'\n        values: '1'")), [[6, 32, "expected ',' or '}' after '\"/\"' but found the end of the condition"]]);
  t.same(errorsOf(withSeries("        metric: cpu_usage\n        series: cpu_usage\n        values: '1'")), [[7, 9, "give either 'metric' (with 'labels') or 'series', not both"]]);
  t.same(errorsOf(withSeries("        series: cpu_usage\n        labels: { core: '0' }\n        values: '1'")), [
    [7, 9, "'labels' cannot be combined with 'series': write the labels inside the series, as in disk_used_pct{mount=\"/\"}"],
  ]);
  t.same(errorsOf(withSeries("        values: '1'")), [[5, 9, "missing 'metric': name the metric, as in metric: cpu_usage, or write series: 'disk_used_pct{mount=\"/\"}'"]]);
  t.same(errorsOf(withSeries("        metric: 9lives\n        values: '1'")), [[6, 17, "invalid metric name \"9lives\": use letters, digits, '_' and ':', not starting with a digit"]]);
  t.same(errorsOf(withSeries("        metric: cpu\n        labels: { 1core: x }\n        values: '1'")), [[7, 19, "invalid name '1core' in 'labels': use letters, digits and '_', not starting with a digit"]]);
});

t.test('test file series of one agent', async (t) => {
  t.same(
    errorsOf(withSeries("        metric: cpu\n        values: '1'\n      - agent: web-1\n        metric: cpu\n        values: '2'")),
    [[8, 9, 'duplicate series cpu of agent \'web-1\': first given on line 5']],
  );
  t.same(
    errorsOf(withSeries("        tags: { env: prod }\n        metric: cpu\n        values: '1'\n      - agent: web-1\n        tags: { env: dev }\n        metric: mem\n        values: '2'")),
    [[10, 15, 'tag \'env\' of agent \'web-1\' is "prod" on line 5: tags belong to the agent, so give each tag one value']],
  );
  t.same(errorsOf(withSeries("        metric: cpu\n        values: '1'\n      - metric: mem\n        values: '2'")), [[8, 9, "missing 'agent': name the agent that reports the series, as in agent: web-1"]]);
});

t.test('test file expected alerts', async (t) => {
  const check = (alert: string) => `rule_files: [a.yml]\ntests:\n  - name: t\n    alert_rule_test:\n      - eval_time: 1m\n        alertname: A\n        exp_alerts:\n          - ${alert}\n`;
  t.same(errorsOf(check('exp_state: resolved')), [
    [8, 24, 'invalid exp_state "resolved": use firing or pending; an alert that is resolved is not listed, so expect none with exp_alerts: []'],
  ]);
  t.same(errorsOf(check('exp_state: on')), [[8, 24, 'invalid exp_state "on": use firing or pending']]);
  t.same(errorsOf(check('exp_labels: [agent]')), [[8, 25, "'exp_labels' must be a mapping of names to text, but found a list"]]);
  t.same(errorsOf(check('exp_annotations: { summary: [a] }')), [[8, 41, "'summary' in 'exp_annotations' must be text, but found a list"]]);
  t.same(errorsOf(check('web-1')), [[8, 13, 'an expected alert must be a mapping with \'exp_labels\' and optionally \'exp_annotations\' and \'exp_state\', but found "web-1"']]);
  t.same(errorsOf(`rule_files: [a.yml]\ntests:\n  - name: t\n    alert_rule_test:\n      - eval_time: 1m\n        alertname: A\n        exp_alerts: none\n`), [
    [7, 21, '\'exp_alerts\' must be a list of expected alerts, but found "none"'],
  ]);
});

t.test('test file structure errors', async (t) => {
  t.same(errorsOf('- a\n- b\n'), [[1, 1, "a rule test file is a mapping with 'rule_files' and 'tests', but this file contains a list"]]);
  t.same(where(parseRuleTestText('', 'empty.test.yml').diagnostics), [[0, 0, "a rule test file is a mapping with 'rule_files' and 'tests', but this file contains nothing"]]);
  t.same(errorsOf('tests: []\n'), [
    [1, 1, "missing 'rule_files': list the rule files to test, relative to this file"],
    [1, 8, "'tests' is empty: add a test with 'input_series' and 'alert_rule_test'"],
  ]);
  t.same(errorsOf('rule_files: []\n'), [
    [1, 1, "missing 'tests': add a list of tests, each with 'input_series' and 'alert_rule_test'"],
    [1, 13, "'rule_files' is empty: list the rule files to test, relative to this file"],
  ]);
  t.same(errorsOf('rule_files: [a.yml]\ntests:\n  - name: t\n'), [[3, 5, "test 't' has no 'alert_rule_test': add the alerts to expect at each eval_time"]]);
  t.same(errorsOf('rule_files: [a.yml]\ntests:\n  - name: t\n    alert_rule_test: []\n'), [[4, 22, "test 't' has no 'alert_rule_test': add the alerts to expect at each eval_time"]]);
  t.same(errorsOf('rule_files: [a.yml]\ntests:\n  - alert_rule_test: [{ eval_time: 0s, alertname: A }]\n'), [[3, 5, "missing 'name': name the test, as in name: HighCPU fires after three minutes"]]);
  t.same(errorsOf('rule_files: [a.yml]\ntests:\n  - name: t\n    alert_rule_test:\n      - { eval_time: 1m }\n'), [
    [5, 9, "missing 'alertname': name the rule whose alerts to check, as in alertname: HighCPU"],
  ]);
  t.same(errorsOf('rule_files: [a.yml]\ntests: [a: b'), [[2, 8, 'invalid YAML: the [ opened here is never closed; add ] after its last item']]);
});

t.test('seriesText sorts labels', async (t) => {
  t.equal(seriesText('cpu', {}), 'cpu');
  t.equal(seriesText('disk', { mount: '/', device: 'sda' }), 'disk{device="sda", mount="/"}');
});
