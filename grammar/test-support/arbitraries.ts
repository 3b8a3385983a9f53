import fc from 'fast-check';
import { quoteString } from '../format-condition.js';

/**
 * fast-check arbitraries of valid, well-typed condition text. Every composite
 * is wrapped in parentheses (sometimes twice) and tokens are separated by
 * random whitespace, so the text is valid under any precedence table and far
 * from canonical form.
 */

const space = fc.constantFrom('', ' ', '  ', '\n  ', '\t');
/** Whitespace where the grammar needs at least one character, around keywords. */
const gap = fc.constantFrom(' ', '  ', '\n', '\t ');

const metricName = fc.constantFrom('cpu_usage', 'mem_used_pct', 'disk_used_pct', 'node:load1', 'latency_ms', 'x', 'requests_total');
const labelName = fc.constantFrom('mount', 'device', 'core', 'fs', '_kind');
const matchOperator = fc.constantFrom('=', '!=', '=~', '!~');
const safeRegex = fc.constantFrom('.*', 'ext[0-9]+', '/|/data', 'loop.*', '', 'a\\.b');

const stringLiteral = fc.oneof(
  fc.string({ maxLength: 12 }).map(quoteString),
  fc.string({ maxLength: 12 }).filter((text) => !text.includes('`')).map((text) => `\`${text}\``),
);

const matcher = fc
  .tuple(labelName, space, matchOperator, space, safeRegex)
  .map(([label, before, op, after, value]) => `${label}${before}${op}${after}${quoteString(value)}`);

const selector = fc
  .tuple(metricName, fc.option(fc.array(matcher, { minLength: 0, maxLength: 3 }), { nil: undefined }), space)
  .map(([name, matchers, inner]) => (matchers === undefined ? name : `${name}{${inner}${matchers.join(`,${inner}`)}${inner}}`));

/** A duration written in any of its forms: `90s`, `1m30s`, `90000ms`. */
const duration = fc.integer({ min: 1, max: 86_400 }).chain((seconds) =>
  fc.constantFrom(
    `${seconds}s`,
    `${seconds * 1000}ms`,
    seconds % 60 === 0 ? `${seconds / 60}m` : `${Math.floor(seconds / 60)}m${seconds % 60}s`,
  ),
);

const numberLiteral = fc.oneof(
  fc.integer({ min: 0, max: 100_000 }).map(String),
  fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((value) => String(Math.abs(value))),
  fc.constantFrom('1e3', '2.5E-2', '0.0'),
);

const phi = fc.double({ min: 0, max: 1, noNaN: true }).map((value) => String(Math.abs(value)));

const windowCall = fc.oneof(
  fc
    .tuple(fc.constantFrom('avg', 'min', 'max', 'sum', 'count', 'last', 'rate', 'delta', 'stddev', 'zscore'), space, selector, space, duration)
    .map(([name, a, metric, b, range]) => `${name}(${a}${metric},${b}${range}${a})`),
  fc.tuple(phi, space, selector, duration).map(([value, a, metric, range]) => `quantile(${value},${a}${metric}, ${range})`),
);

const tag = fc.constantFrom('tag.env', 'tag.role', 'tag.region', 'tag._x1');

function wrap(text: string, twice: boolean): string {
  return twice ? `((${text}))` : `(${text})`;
}

const { numeric, boolean } = fc.letrec<{ numeric: string; boolean: string }>((tie) => ({
  numeric: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    selector,
    numberLiteral,
    windowCall,
    fc
      .tuple(tie('numeric'), space, fc.constantFrom('+', '-', '*', '/', '%'), space, tie('numeric'), fc.boolean())
      .map(([left, a, op, b, right, twice]) => wrap(`${left}${a}${op}${b}${right}`, twice)),
    fc.tuple(space, tie('numeric')).map(([a, operand]) => `(-${a}${operand})`),
  ),
  boolean: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    fc
      .tuple(tie('numeric'), space, fc.constantFrom('>', '>=', '<', '<=', '==', '!='), space, tie('numeric'))
      .map(([left, a, op, b, right]) => `(${left}${a}${op}${b}${right})`),
    fc.tuple(tag, space, fc.constantFrom('==', '!='), space, fc.oneof(stringLiteral, tag)).map((parts) => `(${parts.join('')})`),
    fc.tuple(tag, gap, fc.constantFrom('in', 'not in'), gap, fc.array(stringLiteral, { maxLength: 4 })).map(
      ([left, a, op, b, items]) => `(${left}${a}${op}${b}[${items.join(', ')}])`,
    ),
    fc.tuple(tag, space, fc.constantFrom('=~', '!~'), space, safeRegex).map(([left, a, op, b, pattern]) => `(${left}${a}${op}${b}${quoteString(pattern)})`),
    fc.constantFrom('true', 'false'),
    fc.tuple(space, duration).map(([a, range]) => `absent(${a}${range})`),
    fc.tuple(selector, duration).map(([metric, range]) => `absent(${metric}, ${range})`),
    fc
      .tuple(tie('boolean'), gap, fc.constantFrom('and', 'or'), gap, tie('boolean'), fc.boolean())
      .map(([left, a, op, b, right, twice]) => wrap(`${left}${a}${op}${b}${right}`, twice)),
    fc.tuple(gap, tie('boolean')).map(([a, operand]) => `(not${a}${operand})`),
    fc
      .tuple(tie('boolean'), space, fc.constantFrom('==', '!='), space, tie('boolean'))
      .map(([left, a, op, b, right]) => `(${left}${a}${op}${b}${right})`),
  ),
}));

/** Valid, well-typed condition text (a boolean expression). */
export const conditionText = boolean;
/** Valid numeric expression text. */
export const numericText = numeric;
