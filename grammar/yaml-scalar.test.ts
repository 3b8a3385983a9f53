import fc from 'fast-check';
import t from 'tap';
import { Document, isMap, isScalar, isSeq, parseDocument, Scalar } from 'yaml';
import { mapScalar } from './yaml-scalar.js';

const STYLES = [Scalar.PLAIN, Scalar.QUOTE_SINGLE, Scalar.QUOTE_DOUBLE, Scalar.BLOCK_LITERAL, Scalar.BLOCK_FOLDED] as const;

/** Writes `value` as the `condition` of a one-rule file in the given style, then parses it back. */
function roundTrip(value: string, style: (typeof STYLES)[number], lineWidth: number): { text: string; node: Scalar } | undefined {
  const document = new Document([{ name: 'R', condition: value }]);
  const rule = document.contents;
  const item = isSeq(rule) ? rule.items[0] : undefined;
  const node = isMap(item) ? item.get('condition', true) : undefined;
  if (!isScalar(node)) return undefined;
  node.type = style;
  const text = document.toString({ lineWidth, minContentWidth: 0 });

  const parsed = parseDocument(text, { keepSourceTokens: true });
  const parsedRule = parsed.contents;
  const parsedItem = isSeq(parsedRule) ? parsedRule.items[0] : undefined;
  const parsedNode = isMap(parsedItem) ? parsedItem.get('condition', true) : undefined;
  if (!isScalar(parsedNode) || typeof parsedNode.value !== 'string') return undefined;
  return { text, node: parsedNode };
}

t.test('yaml scalar offsets in every style', async (t) => {
  // Whitespace, quotes and line breaks are where YAML's decoding is subtle.
  const tricky = fc
    .array(fc.constantFrom(' ', '\n', '\t', 'a', '"', "'", '\\', '#', ':', '-', '\r\n', '\u00a0', '\u2028'), { maxLength: 12 })
    .map((parts) => parts.join(''));
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    tricky,
    fc.constantFrom('avg(cpu_usage{mount="/"}, 5m) > 80 and tag.env == "prod"', "it's \\d \"q\"", 'a  b\tc', 'x\n\ny', 'é😀 done'),
  );
  let checked = 0;
  fc.assert(
    fc.property(text, fc.constantFrom(...STYLES), fc.constantFrom(20, 40, 0), (value, style, lineWidth) => {
      const written = roundTrip(value, style, lineWidth);
      if (written === undefined) return;
      const decoded = String(written.node.value);
      const mapped = mapScalar(written.node, decoded);
      if (!mapped.exact) throw new Error(`${style} ${JSON.stringify(value)} not decoded exactly:\n${written.text}`);
      checked++;

      // A character that YAML wrote as itself sits at its offset. A character
      // that YAML escaped, folded or quoted sits on the escape, line break or quote.
      for (let index = 0; index < decoded.length; index++) {
        const character = decoded[index]!;
        const at = written.text[mapped.offsets[index]!];
        const plausible = at === character || at === '\\' || at === "'" || at === '\n' || at === '\r' || /[\s\ud800-\udfff]/.test(character);
        if (!plausible) {
          throw new Error(`${style}: character ${index} ${JSON.stringify(character)} maps to ${JSON.stringify(at)} in\n${written.text}`);
        }
      }
    }),
    { numRuns: 3000 },
  );
  t.ok(checked > 1500, `${checked} scalars checked`);
});

t.test('yaml scalar falls back to the start when decoding differs', async (t) => {
  const parsed = parseDocument('key: "abc"\n', { keepSourceTokens: true });
  const node = isMap(parsed.contents) ? parsed.contents.get('key', true) : undefined;
  if (!isScalar(node)) throw new Error('expected a scalar');
  const mapped = mapScalar(node, 'something else');
  t.equal(mapped.exact, false);
  t.same(new Set(mapped.offsets), new Set([5]));
});
