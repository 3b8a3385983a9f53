import t from 'tap';
import { type Diagnostic, SourceFile } from './diagnostics.js';
import { parseRuleDocument } from './rule-file.js';
import { yamlErrorDiagnostics } from './yaml-errors.js';

/** [line, column, message] of each YAML diagnostic of `text`. */
function errors(text: string): Array<[number, number, string]> {
  const diagnostics: Diagnostic[] = yamlErrorDiagnostics(parseRuleDocument(text), new SourceFile('rules.yml', text));
  return diagnostics.map((diagnostic) => [diagnostic.line, diagnostic.column, diagnostic.message]);
}

/** Test name, rule file text and the expected [line, column, message] of each diagnostic. */
const cases: Array<[string, string, Array<[number, number, string]>]> = [
  [
    'yaml errors unclosed quote at opening',
    ['- name: A', '  condition: cpu_usage > 90', '  severity: critical', '  annotations:', '    summary: "CPU high', '- name: B', '  condition: x > 1', '  severity: info', ''].join('\n'),
    [[5, 14, 'invalid YAML: the " opened here is never closed, so the value runs on to the end of the file; add the closing " where the value ends']],
  ],
  [
    'yaml errors unclosed single quote',
    "- name: A\n  condition: 'x > 1\n",
    [[2, 14, "invalid YAML: the ' opened here is never closed, so the value runs on to the end of the file; add the closing ' where the value ends"]],
  ],
  [
    'yaml errors key indented too far',
    '- name: A\n  condition: cpu_usage > 90\n    severity: critical\n',
    [[3, 5, "invalid YAML: 'severity:' is indented more than 'condition:' on line 2, so YAML reads it as more text of that value; indent it by 2 spaces, as 'condition:' is"]],
  ],
  [
    'yaml errors key indented too little',
    '- name: A\n  condition: cpu_usage > 90\n severity: critical\n',
    [[3, 2, "invalid YAML: 'severity:' is indented less than 'condition:' on line 2, so it belongs to no mapping; indent it by 2 spaces, as 'condition:' is"]],
  ],
  [
    'yaml errors value with colon',
    '- name: A\n  condition: a: b\n  severity: info\n',
    [[2, 14, "invalid YAML: the value contains ': ', which YAML reads as another key; quote the value: 'a: b'"]],
  ],
  [
    'yaml errors key without space',
    '- name: A\n  condition: x > 1\n  severity:critical\n  notify: [oncall]\n',
    [[3, 3, "invalid YAML: 'severity:' needs a space after the colon to be a key; write 'severity: critical'"]],
  ],
  [
    'yaml errors unclosed bracket',
    '- name: A\n  condition: x > 1\n  notify: [oncall\n',
    [[3, 11, 'invalid YAML: the [ opened here is never closed; add ] after its last item']],
  ],
  [
    'yaml errors unclosed brace',
    '- name: A\n  condition: x > 1\n  labels: {team: db\n',
    [[3, 11, 'invalid YAML: the { opened here is never closed; add } after its last item']],
  ],
  ['yaml errors tab indentation', '- name: A\n\tcondition: x > 1\n', [[2, 1, 'invalid YAML: YAML does not allow tabs for indentation; indent with spaces']]],
  ['yaml errors other messages kept', '- name: A\n  name: B\n', [[2, 3, 'invalid YAML: map keys must be unique']]],
];

for (const [name, text, expected] of cases) {
  t.test(name, async (t) => {
    t.same(errors(text), expected);
  });
}
