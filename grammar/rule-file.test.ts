import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatDiagnostic, type Diagnostic } from './diagnostics.js';
import { checkRuleFiles, parseRuleFile, type RuleFileOptions } from './rule-file.js';
import { latestValues, mapContext } from './test-support/map-context.js';

const options: RuleFileOptions = { receivers: ['oncall', 'email'] };

function load(text: string, extra: Partial<RuleFileOptions> = {}) {
  return parseRuleFile(text, 'rules.yml', { ...options, ...extra });
}

/** [line, column, message] of each diagnostic, which is what a test needs to pin. */
function where(diagnostics: Diagnostic[]): Array<[number, number, string]> {
  return diagnostics.map((diagnostic) => [diagnostic.line, diagnostic.column, diagnostic.message]);
}

t.test('rule file minimal rule loads', async (t) => {
  const result = load(`- name: HighCPU
  condition: cpu_usage > 90
  duration: 3m
  severity: critical
`);
  t.same(result.diagnostics, []);
  t.equal(result.rules.length, 1);
  const rule = result.rules[0]!;
  t.equal(rule.name, 'HighCPU');
  t.equal(rule.condition.text, 'cpu_usage > 90');
  t.equal(rule.durationMs, 180_000);
  t.equal(rule.severity, 'critical');
  t.same(rule.notify, []);
  t.equal(rule.keepFiringForMs, 0);
  t.equal(rule.resolve, undefined);
  t.equal(rule.group, undefined);
  t.same([rule.line, rule.column], [1, 9]);
  t.equal(rule.file, 'rules.yml');
  t.equal(rule.condition.compiled.evaluate(mapContext(rule.condition.compiled, latestValues({ cpu_usage: 95 }))), true);
});

t.test('rule file loads every key', async (t) => {
  const result = load(`groups:
  - name: host
    rules:
      - name: HighCPU
        condition: avg(cpu_usage, 5m) > 90
        resolve: avg(cpu_usage, 5m) < 80
        duration: 3m
        keep_firing_for: 10m
        severity: warning
        notify: [oncall, email]
        labels:
          team: infra
          tier: 1
        annotations:
          summary: "CPU at {{value}}% on {{agent}} in {{tag.region}}"
          runbook: https://runbooks.example/cpu
  - name: liveness
    rules:
      - name: AgentSilent
        condition: absent(2m)
        severity: critical
        notify: oncall
`);
  t.same(result.diagnostics, []);
  t.same(result.rules.map((rule) => [rule.group, rule.name]), [
    ['host', 'HighCPU'],
    ['liveness', 'AgentSilent'],
  ]);
  const rule = result.rules[0]!;
  t.equal(rule.resolve?.text, 'avg(cpu_usage, 5m) < 80');
  t.equal(rule.keepFiringForMs, 600_000);
  t.same(rule.notify, ['oncall', 'email']);
  t.same(rule.labels, { team: 'infra', tier: '1' });
  t.same(rule.annotations, { summary: 'CPU at {{value}}% on {{agent}} in {{tag.region}}', runbook: 'https://runbooks.example/cpu' });
  t.same(result.rules[1]!.notify, ['oncall'], 'a single receiver name is accepted');
});

t.test('rule file non-string conditions', async (t) => {
  const result = load('- name: Always\n  condition: true\n  severity: info\n  duration: 0\n');
  t.same(result.diagnostics, []);
  t.equal(result.rules[0]!.condition.text, 'true');
  t.equal(result.rules[0]!.durationMs, 0);
  t.same(where(load('- name: N\n  condition: 90\n  severity: info\n').diagnostics), [
    [2, 14, "the condition must be true or false, but '90' is a number: compare it, as in cpu_usage > 90"],
  ]);
});

t.test('rule file empty file has no rules', async (t) => {
  t.same(load(''), { rules: [], declarations: [], diagnostics: [] });
  t.same(load('# only a comment\n'), { rules: [], declarations: [], diagnostics: [] });
});

t.test('rule file structure errors', async (t) => {
  t.same(where(load('just text\n').diagnostics), [[1, 1, `a rule file is a list of rules or a mapping with 'groups', but this file holds "just text"`]]);
  t.same(where(load('rules: []\n').diagnostics), [
    [1, 1, "unknown key 'rules': the only key here is 'groups'"],
    [1, 1, "a rule file that is a mapping needs 'groups': a list of {name, rules}"],
  ]);
  t.same(where(load('groups: 5\n').diagnostics), [[1, 9, "'groups' must be a list of {name, rules}, but found number 5"]]);
  t.same(where(load('groups:\n  - name: g\n').diagnostics), [[2, 5, "group 'g' has no 'rules': add a list of rules"]]);
  t.same(where(load('groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n').diagnostics), [[4, 11, "duplicate group name 'g'"]]);
  t.same(where(load('- 5\n').diagnostics), [[1, 3, "a rule must be a mapping with at least 'name', 'condition' and 'severity', but found number 5"]]);
});

t.test('rule file key errors', async (t) => {
  const result = load(`- name: A
  condition: x > 1
  for: 5m
  severty: info
  expr: y > 1
  whatever: 1
`);
  t.same(where(result.diagnostics), [
    [1, 3, "missing 'severity': set it to critical, warning or info"],
    [3, 3, "unknown key 'for': did you mean 'duration'?"],
    [4, 3, "unknown key 'severty': did you mean 'severity'?"],
    [5, 3, "unknown key 'expr': did you mean 'condition'?"],
    [6, 3, "unknown key 'whatever': the keys are name, condition, resolve, duration, keep_firing_for, severity, notify, labels, annotations"],
  ]);
  t.same(result.rules, []);
  t.ok(result.diagnostics.every((diagnostic) => diagnostic.rule === 'A'), 'diagnostics name the rule');
});

t.test('rule file value errors', async (t) => {
  const result = load(`- name: ""
  condition: x > 1
  severity: high
- name: B
  condition: [x]
  duration: 5 minutes
  keep_firing_for: 5
  severity: info
  notify: [oncal, pager, 5]
  labels:
    1team: a
    agent: b
    ok: [1]
  annotations: text
`);
  t.same(where(result.diagnostics), [
    [1, 9, `'name' must be a non-empty string, but found ""`],
    [3, 13, `invalid severity "high": use critical, warning or info`],
    [5, 14, "'condition' must be an expression such as cpu_usage > 90, but found a list"],
    [6, 13, `invalid 'duration' "5 minutes": write a duration such as 30s, 5m or 1h30m`],
    [7, 20, "invalid 'keep_firing_for' number 5: write a duration such as 30s, 5m or 1h30m"],
    [9, 12, "unknown receiver 'oncal': did you mean 'oncall'?"],
    [9, 19, "unknown receiver 'pager': the receivers are email, oncall"],
    [9, 26, "'notify' must list receiver names, but found number 5"],
    [11, 5, "invalid label name '1team': use letters, digits and '_', not starting with a digit"],
    [12, 5, "label 'agent' is set by the engine on every alert; choose another name"],
    [13, 9, "label 'ok' must be text, but found a list"],
    [14, 16, `'annotations' must be a mapping of names to text, but found "text"`],
  ]);
  t.same(where(load('- name: A\n  condition: x > 1\n  severity: info\n  notify: [oncall]\n', { receivers: [] }).diagnostics), [
    [4, 12, "unknown receiver 'oncall': no receivers are configured"],
  ]);
});

t.test('rule file duplicate names', async (t) => {
  const result = load(`- name: A
  condition: x > 1
  severity: info
- name: A
  condition: y > 1
  severity: info
`);
  t.same(where(result.diagnostics), [[4, 9, "duplicate rule name 'A': first defined on line 1"]]);
  t.same(result.rules.map((rule) => rule.condition.text), ['x > 1']);
});

t.test('rule file template errors', async (t) => {
  const result = load(`- name: A
  condition: x > 1
  severity: info
  annotations:
    summary: "{{valeu}} on {{ agent }} {{labels.mount}} {{}} {{tag.}} {{"
`);
  t.same(where(result.diagnostics), [
    [5, 17, 'unknown placeholder {{valeu}}: did you mean {{value}}?'],
    [5, 42, 'unknown placeholder {{labels.mount}}: did you mean {{label.mount}}?'],
    [5, 57, 'empty placeholder: write a name such as {{value}} or {{agent}}'],
    [5, 64, "invalid tag name '' in placeholder {{tag.}}: use letters, digits and '_'"],
    [5, 71, "unclosed placeholder: add '}}'"],
  ]);
});

t.test('rule file YAML syntax errors', async (t) => {
  const diagnostics = load('- name: A\n  condition: "x > 1\n').diagnostics;
  // The yaml package reports a missing closing quote at the end of the input, and the diagnostic moves it to the opening quote.
  t.same(where(diagnostics), [[2, 14, 'invalid YAML: the " opened here is never closed, so the value runs on to the end of the file; add the closing " where the value ends']]);
});

t.test('rule file repeat beside other errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-rules-'));
  writeFileSync(join(dir, 'host.yml'), '- name: HighCPU\n  condition: cpu_usage > 90\n  severity: critical\n');
  writeFileSync(join(dir, 'mine.yml'), '- name: HighCPU\n  condition: cpu_usage > 90\n  severity: critical\n  notify: [pager]\n');

  const result = checkRuleFiles([dir], options);

  t.equal(result.ok, false);
  t.same(
    result.diagnostics.map((diagnostic) => [diagnostic.file, diagnostic.line, diagnostic.column, diagnostic.message]),
    [
      [join(dir, 'mine.yml'), 1, 9, `duplicate rule name 'HighCPU': first defined at ${join(dir, 'host.yml')}:1:9`],
      [join(dir, 'mine.yml'), 4, 12, "unknown receiver 'pager': the receivers are email, oncall"],
    ],
  );
  t.same(result.rules.map((rule) => `${rule.name} ${rule.file}`), [`HighCPU ${join(dir, 'host.yml')}`]);
});

t.test('rule file repeated name first invalid', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-rules-'));
  writeFileSync(join(dir, 'a.yml'), '- name: A\n  condition: x >\n  severity: info\n');
  writeFileSync(join(dir, 'b.yml'), '- name: A\n  condition: x > 1\n  severity: info\n');

  const result = checkRuleFiles([dir], options);

  t.same(
    result.diagnostics.map((diagnostic) => [diagnostic.file, diagnostic.line, diagnostic.message.replace(/:.*/, '')]),
    [
      [join(dir, 'a.yml'), 2, 'expected a value after \'>\' but found the end of the condition'],
      [join(dir, 'b.yml'), 1, "duplicate rule name 'A'"],
    ],
  );
  t.same(result.rules, [], 'the valid repeat is not used in place of the invalid first definition');
});

t.test('rule file reports all errors', async (t) => {
  const result = load(`- name: A
  condition: cpu >
  severity: info
- name: B
  condition: avg(cpu, 5) > 1 and tag.env == 5
  severity: info
- name: C
  condition: cpu > 1
  severity: info
`);
  t.same(where(result.diagnostics), [
    [2, 19, "expected a value after '>' but found the end of the condition"],
    [5, 23, "expected a duration such as 5m after ',' but found '5'"],
    [5, 34, 'tag values are strings: compare \'tag.env\' with a string, such as "5"'],
  ]);
  t.same(result.rules.map((rule) => rule.name), ['C']);
});

t.test('rule file positions inside conditions', async (t) => {
  // Each condition has one error, at the token `bad`, written once in the
  // file: the diagnostic must point at that spot of the file.
  const cases: Array<[string, string, number]> = [
    ['plain', '  condition: x > 1 and bad\n', 2],
    ['plain folded', '  condition: x > 1\n    and bad\n', 3],
    ['single-quoted', `  condition: 'tag.a == "it''s" and bad'\n`, 2],
    ['double-quoted escapes', '  condition: "tag.a == \\"\\t\\u00e9\\x41\\U0001F600\\" and bad"\n', 2],
    ['double-quoted folded', '  condition: "x > 1\n    and\n\n    bad"\n', 5],
    ['double-quoted escaped break', '  condition: "x > 1 and \\\n    bad"\n', 3],
    ['literal block', '  condition: |\n    x > 1\n      and bad\n', 4],
    ['folded block', '  condition: >-\n    x > 1\n    and bad\n', 4],
    ['literal block with indicator', '  condition: |2\n     x > 1 and bad\n', 3],
    ['block after comment', '  condition: > # note\n    x > 1 and bad\n', 3],
    ['block with keep chomping', '  condition: |+\n    x > 1 and bad\n\n', 3],
  ];
  for (const [label, conditionYaml, line] of cases) {
    const text = `- name: R\n${conditionYaml}  severity: info\n`;
    const diagnostics = load(text).diagnostics;
    t.equal(diagnostics.length, 1, `${label}: one diagnostic`);
    const diagnostic = diagnostics[0]!;
    t.equal(diagnostic.message, "'and' needs boolean operands, but its right operand 'bad' is a number", `${label}: message`);
    const column = text.split('\n')[line - 1]!.indexOf('bad') + 1;
    t.same([diagnostic.line, diagnostic.column, diagnostic.endColumn], [line, column, column + 3], `${label}: position`);
  }
});

t.test('rule file diagnostic rendering', async (t) => {
  const diagnostics = load('- name: HighCPU\n  condition: avg(cpu_usage, 5) > 80\n  severity: info\n').diagnostics;
  t.equal(
    formatDiagnostic(diagnostics[0]!),
    [
      "rules.yml:2:29: error in rule HighCPU: expected a duration such as 5m after ',' but found '5'",
      '  2 |   condition: avg(cpu_usage, 5) > 80',
      '    |                             ^',
    ].join('\n'),
  );
});

t.test('checkRuleFiles across files and directories', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-rules-'));
  writeFileSync(join(dir, 'a.yml'), '- name: A\n  condition: x > 1\n  severity: info\n');
  writeFileSync(join(dir, 'b.yaml'), '- name: B\n  condition: y > 1\n  severity: info\n- name: A\n  condition: z > 1\n  severity: info\n');
  writeFileSync(join(dir, 'notes.txt'), 'not a rule file');

  const result = checkRuleFiles([dir], options);
  t.equal(result.ok, false);
  t.same(result.rules.map((rule) => rule.name), ['A', 'B']);
  t.same(
    result.diagnostics.map((diagnostic) => [diagnostic.file, diagnostic.line, diagnostic.message]),
    [[join(dir, 'b.yaml'), 4, `duplicate rule name 'A': first defined at ${join(dir, 'a.yml')}:1:9`]],
  );

  const good = checkRuleFiles([join(dir, 'a.yml')], options);
  t.equal(good.ok, true);
  t.same(good.diagnostics, []);

  const missing = checkRuleFiles([join(dir, 'missing.yml')], options);
  t.equal(missing.ok, false);
  t.match(missing.diagnostics[0]!.message, /^failed to read the rule file: ENOENT/);
  t.equal(formatDiagnostic(missing.diagnostics[0]!), `${join(dir, 'missing.yml')}: error: ${missing.diagnostics[0]!.message}`);

  const empty = join(dir, 'empty');
  mkdirSync(empty);
  t.same(checkRuleFiles([empty], options).diagnostics.map((diagnostic) => diagnostic.message), ['the directory contains no .yml or .yaml rule file']);
});

t.test('rule file window maximum option', async (t) => {
  const text = '- name: A\n  condition: avg(x, 2h) > 1\n  severity: info\n';
  t.same(where(load(text, { maxWindowMs: 3_600_000 }).diagnostics), [[2, 21, 'the window 2h is longer than the maximum of 1h']]);
  t.same(load(text).diagnostics, []);
});
