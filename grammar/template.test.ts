import t from 'tap';
import { checkTemplate, formatTemplateValue, renderTemplate, type TemplateData } from './template.js';

const data: TemplateData = {
  agent: 'web-1',
  value: 93.456789,
  rule: 'HighCPU',
  severity: 'critical',
  tags: { region: 'eu-west', env: 'prod' },
  labels: { mount: '/' },
};

t.test('template renders every placeholder', async (t) => {
  t.equal(
    renderTemplate('{{rule}} ({{severity}}): CPU at {{value}}% on {{agent}} in {{tag.region}}, mount {{label.mount}}', data),
    'HighCPU (critical): CPU at 93.4568% on web-1 in eu-west, mount /',
  );
  t.equal(renderTemplate('{{ agent }}/{{  tag.env  }}', data), 'web-1/prod', 'whitespace inside braces');
  t.equal(renderTemplate('[{{tag.missing}}][{{label.missing}}]', data), '[][]', 'missing tags and labels are empty');
  t.equal(renderTemplate('{{unknown}} {{tag.toString}}', data), '{{unknown}} ', 'unknown placeholders stay; inherited keys are not tags');
  t.equal(renderTemplate('no placeholders', data), 'no placeholders');
});

t.test('template formats values', async (t) => {
  t.equal(formatTemplateValue(93), '93');
  t.equal(formatTemplateValue(-2), '-2');
  t.equal(formatTemplateValue(93.456789), '93.4568');
  t.equal(formatTemplateValue(0.000123456789), '0.000123457');
  t.equal(formatTemplateValue(Number.NaN), 'NaN');
  t.equal(formatTemplateValue(Number.POSITIVE_INFINITY), 'Infinity');
});

t.test('template check messages', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['{{valeu}}', 'unknown placeholder {{valeu}}: did you mean {{value}}?', 'valeu'],
    ['{{agnet}}', 'unknown placeholder {{agnet}}: did you mean {{agent}}?', 'agnet'],
    ['{{labels.mount}}', 'unknown placeholder {{labels.mount}}: did you mean {{label.mount}}?', 'labels.mount'],
    ['{{tags.env}}', 'unknown placeholder {{tags.env}}: did you mean {{tag.env}}?', 'tags.env'],
    ['{{hostname}}', 'unknown placeholder {{hostname}}: use {{agent}}, {{value}}, {{rule}}, {{severity}}, {{tag.NAME}} or {{label.NAME}}', 'hostname'],
    ['{{tag.}}', "invalid tag name '' in placeholder {{tag.}}: use letters, digits and '_'", 'tag.'],
    ['{{label.a-b}}', "invalid label name 'a-b' in placeholder {{label.a-b}}: use letters, digits and '_'", 'label.a-b'],
    ['x {{ }} y', 'empty placeholder: write a name such as {{value}} or {{agent}}', '{{ }}'],
    ['x {{value', "unclosed placeholder: add '}}'", '{{'],
    ['{{ {{value}}', "unclosed placeholder: add '}}'", '{{'],
  ];
  for (const [template, message, text] of cases) {
    const issues = checkTemplate(template);
    t.equal(issues.length, 1, `${template}: one issue`);
    t.equal(issues[0]!.message, message, template);
    t.equal(template.slice(issues[0]!.start, issues[0]!.end), text, `${template}: span`);
  }
  t.same(checkTemplate('{{agent}} {{value}} {{rule}} {{severity}} {{tag.region}} {{label.mount}} } {'), []);
});
