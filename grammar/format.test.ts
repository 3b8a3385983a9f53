import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatConditionText, formatRuleFile, formatRuleText, quoteString } from './format.js';

function fmt(source: string): string {
  const result = formatConditionText(source);
  if (result.text === undefined) throw new Error(`${source}: ${result.issues[0]!.message}`);
  return result.text;
}

t.test('format canonical spacing', async (t) => {
  t.equal(fmt('cpu_usage>90'), 'cpu_usage > 90');
  t.equal(fmt('  avg( cpu_usage ,5m )>=80  '), 'avg(cpu_usage, 5m) >= 80');
  t.equal(fmt('disk{ mount = "/" ,fs=~"ext.*" , }'), 'disk{mount="/", fs=~"ext.*"}');
  t.equal(fmt('disk{}'), 'disk');
  t.equal(fmt('tag.role   not   in[ "db","cache", ]'), 'tag.role not in ["db", "cache"]');
  t.equal(fmt('a>1\n  and\n  b<2'), 'a > 1 and b < 2');
});

t.test('format canonical literals', async (t) => {
  t.equal(fmt('avg(x, 90s) > 1'), 'avg(x, 1m30s) > 1');
  t.equal(fmt('avg(x, 60m) > 1'), 'avg(x, 1h) > 1');
  t.equal(fmt('avg(x, 1h0m) > 1'), 'avg(x, 1h) > 1');
  t.equal(fmt('avg(x, 1000ms) > 1'), 'avg(x, 1s) > 1');
  t.equal(fmt('x > 1e3'), 'x > 1000');
  t.equal(fmt('x > 0.50'), 'x > 0.5');
  t.equal(fmt('x > 1e999'), 'x > 1e999', 'an out-of-range number keeps its digits');
  t.equal(fmt('tag.x == `a\\.b`'), 'tag.x == "a\\\\.b"');
  t.equal(quoteString('a"b\\c\nd\te\rf\u0001'), '"a\\"b\\\\c\\nd\\te\\rf\\u0001"');
});

t.test('format minimal parentheses', async (t) => {
  const cases: Array<[string, string]> = [
    ['((a > 1))', 'a > 1'],
    ['(a > 1) and (b > 2)', 'a > 1 and b > 2'],
    ['(a > 1 and b > 2) or c > 3', 'a > 1 and b > 2 or c > 3'],
    ['a > 1 and (b > 2 or c > 3)', 'a > 1 and (b > 2 or c > 3)'],
    ['a > 1 or (b > 2 or c > 3)', 'a > 1 or (b > 2 or c > 3)'],
    ['(a + b) * c > 1', '(a + b) * c > 1'],
    ['a + (b * c) > 1', 'a + b * c > 1'],
    ['a - (b - c) > 1', 'a - (b - c) > 1'],
    ['(a - b) - c > 1', 'a - b - c > 1'],
    ['a / (b % c) > 1', 'a / (b % c) > 1'],
    ['-(a) > 1', '-a > 1'],
    ['-(a + b) > 1', '-(a + b) > 1'],
    ['-(-a) > 1', '-(-a) > 1'],
    ['- -a > 1', '-(-a) > 1'],
    ['not (a > 1)', 'not (a > 1)'],
    ['(not a) == b', 'not a == b'],
    ['not (a == b)', 'not (a == b)'],
    ['not (not a)', 'not not a'],
    ['(a > 1) == (b > 2)', '(a > 1) == (b > 2)'],
    ['(a + 1) > (b * 2)', 'a + 1 > b * 2'],
    ['(not a) + 1 > 0', '(not a) + 1 > 0'],
    ['-(not a) > 0', '-(not a) > 0'],
  ];
  for (const [source, expected] of cases) t.equal(fmt(source), expected, source);
});

t.test('format reports syntax errors', async (t) => {
  const result = formatConditionText('cpu >');
  t.equal(result.text, undefined);
  t.equal(result.issues[0]!.message, "expected a value after '>' but found the end of the condition");
});

const RULES = `# Host rules
- name: HighCPU
  condition: cpu_usage > 90
  duration: 3m
  severity: critical

- severity: warning   # routed to the team channel
  name: DiskFull
  annotations:
    summary: "Disk {{label.mount}} at {{value}}% on {{agent}}"
  condition: >
    disk_used_pct{mount="/"}>90 and
    ((tag.env=="prod"))
  duration: 180s
  notify: [oncall]
  labels:
    team: infra
`;

const FORMATTED = `# Host rules
- name: HighCPU
  condition: cpu_usage > 90
  duration: 3m
  severity: critical

- name: DiskFull
  condition: disk_used_pct{mount="/"} > 90 and tag.env == "prod"
  duration: 3m
  severity: warning # routed to the team channel
  notify: [oncall]
  labels:
    team: infra
  annotations:
    summary: "Disk {{label.mount}} at {{value}}% on {{agent}}"
`;

t.test('format rule file', async (t) => {
  const result = formatRuleText(RULES, 'rules.yml');
  t.same(result.diagnostics, []);
  t.equal(result.text, FORMATTED);
  t.equal(formatRuleText(FORMATTED, 'rules.yml').text, FORMATTED, 'formatting is idempotent');
});

t.test('format rule file with groups and quoting', async (t) => {
  const text = `groups:
  - name: host
    rules:
      - name: Prod
        condition: '"prod"==tag.env'
        severity: info
        keep_firing_for: 0
`;
  const expected = `groups:
  - name: host
    rules:
      - name: Prod
        condition: '"prod" == tag.env'
        keep_firing_for: 0s
        severity: info
`;
  t.equal(formatRuleText(text, 'rules.yml').text, expected);
});

t.test('format rule file reports errors', async (t) => {
  const syntax = formatRuleText('- name: A\n  condition: cpu >\n  severity: info\n', 'rules.yml');
  t.equal(syntax.text, undefined);
  t.same(
    syntax.diagnostics.map((diagnostic) => [diagnostic.line, diagnostic.column, diagnostic.message, diagnostic.rule]),
    [[2, 19, "expected a value after '>' but found the end of the condition", 'A']],
  );

  const yaml = formatRuleText('- name: [A\n', 'rules.yml');
  t.equal(yaml.text, undefined);
  t.match(yaml.diagnostics[0]!.message, /^invalid YAML: /);

  const missing = formatRuleFile('/nonexistent/rules.yml');
  t.match(missing.diagnostics[0]!.message, /^failed to read the rule file: ENOENT/);
});

t.test('format rule file from disk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-fmt-'));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, RULES);
  t.equal(formatRuleFile(file).text, FORMATTED);
});
