import fc from 'fast-check';
import t from 'tap';
import { buildCondition } from './compile.js';
import { formatConditionText } from './format-condition.js';
import { parseRuleFile } from './rule-file.js';
import { conditionText } from './test-support/arbitraries.js';

/**
 * Random and mutated input must only ever produce issues: no exception and
 * no slow input. The time bounds leave room for a loaded CI machine; a
 * backtracking blow-up in the grammar takes seconds, not milliseconds.
 */
const MAX_MS_PER_INPUT = 1_000;
/** Bound for the pathological shapes, which are a few kilobytes long. */
const MAX_MS_PER_SHAPE = 3_000;

/** Tokens and characters the grammar cares about, so mutations reach deep into it. */
const FRAGMENTS = [
  '(', ')', '[', ']', '{', '}', ',', '"', '`', '\\', '=', '==', '!=', '=~', '!~', '<', '>', '>=', '+', '-', '*', '/', '%',
  ' and ', ' or ', 'not ', ' in ', ' not in ', 'tag.', '5m', '1h30m', '0s', '1.5h', '9e999', '0.95', 'avg(', 'quantile(',
  'absent(', 'x{a="b"}', '\n', '\t', '\u00e9', '\ud83d', '\u0000',
];

const fragment = fc.constantFrom(...FRAGMENTS);

/** A valid condition with a few random deletions, insertions and replacements. */
const mutated = fc
  .tuple(conditionText, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 4 }), fc.oneof(fragment, fc.string({ maxLength: 3 }))), { minLength: 1, maxLength: 4 }))
  .map(([text, edits]) => {
    let result = text;
    for (const [position, deleteCount, insert] of edits) {
      const at = result.length === 0 ? 0 : position % (result.length + 1);
      result = result.slice(0, at) + insert + result.slice(at + deleteCount);
    }
    return result;
  });

const randomText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join('')),
);

/** Shortens an input for a failure message. */
function show(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function exercise(text: string, maxMs = MAX_MS_PER_INPUT): void {
  const started = performance.now();
  const built = buildCondition(text);
  if (built.condition === undefined && built.issues.length === 0) throw new Error(`no condition and no issue for ${show(text)}`);
  for (const issue of built.issues) {
    if (typeof issue.message !== 'string' || issue.message === '') throw new Error(`empty message for ${show(text)}`);
    if (!(issue.start >= 0 && issue.start <= text.length && issue.end >= issue.start)) throw new Error(`issue outside the text for ${show(text)}`);
  }
  formatConditionText(text);
  const elapsed = performance.now() - started;
  if (elapsed > maxMs) throw new Error(`${elapsed.toFixed(0)} ms for ${show(text)}`);
}

t.test('fuzz random strings', async (t) => {
  fc.assert(fc.property(randomText, (text) => exercise(text)), { numRuns: 3000 });
  t.pass('3000 random strings');
});

t.test('fuzz mutated conditions', async (t) => {
  fc.assert(fc.property(mutated, (text) => exercise(text)), { numRuns: 3000 });
  t.pass('3000 mutated conditions');
});

t.test('fuzz pathological shapes', async (t) => {
  const shapes = [
    '('.repeat(5000),
    `${'('.repeat(3000)}x${')'.repeat(3000)} > 1`,
    `${'not '.repeat(3000)}x`,
    `${'-'.repeat(3000)}x > 1`,
    `${'x + '.repeat(3000)}x > 1`,
    `${'avg('.repeat(500)}x`,
    `tag.x in [${'"a", '.repeat(3000)}]`,
    `x{${'a="b", '.repeat(3000)}} > 1`,
    '"'.repeat(3000),
    '`'.repeat(3001),
    `"${'\\'.repeat(3001)}`,
    '1'.repeat(5000),
  ];
  for (const text of shapes) t.doesNotThrow(() => exercise(text, MAX_MS_PER_SHAPE), text.slice(0, 20));
});

t.test('fuzz rule files', async (t) => {
  const base = `groups:
  - name: g
    rules:
      - name: A
        condition: "avg(cpu, 5m) > 80 and tag.env == \\"prod\\""
        duration: 3m
        severity: critical
        notify: [oncall]
        annotations:
          summary: "{{agent}} at {{value}}"
      - name: B
        condition: |
          absent(5m)
        severity: info
`;
  const yamlFragments = fc.constantFrom(':', '-', ' ', '\n', '"', "'", '|', '>', '{{', '}}', '[', ']', '#', '\t', 'x', '{', '&a', '*a', '!!str');
  const edits = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.oneof(yamlFragments, fc.string({ maxLength: 3 }))), { minLength: 1, maxLength: 3 });
  fc.assert(
    fc.property(edits, (changes) => {
      let text = base;
      for (const [position, deleteCount, insert] of changes) {
        const at = position % (text.length + 1);
        text = text.slice(0, at) + insert + text.slice(at + deleteCount);
      }
      const started = performance.now();
      const result = parseRuleFile(text, 'fuzz.yml', { receivers: ['oncall'] });
      for (const diagnostic of result.diagnostics) {
        if (diagnostic.message === '') throw new Error(`empty message for ${show(text)}`);
      }
      const elapsed = performance.now() - started;
      if (elapsed > MAX_MS_PER_INPUT) throw new Error(`${elapsed.toFixed(0)} ms for ${show(text)}`);
    }),
    { numRuns: 1500 },
  );
  t.pass('1500 mutated rule files');
});
