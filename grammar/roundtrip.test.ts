import fc from 'fast-check';
import t from 'tap';
import { checkCondition } from './check.js';
import { compileCondition } from './compile.js';
import { formatConditionText } from './format-condition.js';
import { parseCondition } from './parse.js';
import { conditionText } from './test-support/arbitraries.js';

/** Drops locations and the digits as written, so trees compare by meaning. */
function shape(node: unknown): unknown {
  return JSON.parse(JSON.stringify(node, (key, value: unknown) => (key.endsWith('oc') || key === 'text' ? undefined : value)));
}

t.test('roundtrip fmt parse fmt is stable', async (t) => {
  fc.assert(
    fc.property(conditionText, (text) => {
      const first = formatConditionText(text);
      if (first.text === undefined) throw new Error(`${JSON.stringify(text)} did not parse: ${first.issues[0]!.message}`);
      const second = formatConditionText(first.text);
      if (second.text !== first.text) throw new Error(`not stable:\n${first.text}\n${second.text}`);
    }),
    { numRuns: 1500 },
  );
  t.pass('1500 random conditions');
});

t.test('roundtrip keeps the tree', async (t) => {
  fc.assert(
    fc.property(conditionText, (text) => {
      const original = parseCondition(text).ast;
      const formatted = formatConditionText(text).text!;
      const reparsed = parseCondition(formatted).ast;
      if (JSON.stringify(shape(original)) !== JSON.stringify(shape(reparsed))) {
        throw new Error(`tree changed:\n${text}\n${formatted}`);
      }
    }),
    { numRuns: 1000 },
  );
  t.pass('1000 random conditions');
});

t.test('roundtrip conditions check and compile', async (t) => {
  fc.assert(
    fc.property(conditionText, (text) => {
      const formatted = formatConditionText(text).text!;
      const ast = parseCondition(formatted).ast!;
      const issues = checkCondition(ast, formatted);
      if (issues.length > 0) throw new Error(`${formatted}: ${issues[0]!.message}`);
      const compiled = compileCondition(ast);
      const empty = { latest: () => Number.NaN, window: () => Number.NaN, tag: () => undefined };
      if (typeof compiled.evaluate(empty) !== 'boolean') throw new Error(`${formatted}: evaluate returned a non-boolean`);
      if (typeof compiled.value(empty) !== 'number') throw new Error(`${formatted}: value returned a non-number`);
    }),
    { numRuns: 500 },
  );
  t.pass('500 random conditions');
});
