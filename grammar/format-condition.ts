import { formatDuration } from '../pipeline/config/duration.js';
import { PRECEDENCE, precedenceOf, type Binary, type Expr, type LabelMatcher } from './ast.js';
import type { Issue } from './diagnostics.js';
import { parseCondition } from './parse.js';

/**
 * Writes a string literal in canonical form: double quotes, with `"` and `\`
 * escaped, `\n`, `\t`, `\r` for those characters and `\uXXXX` for other
 * control characters.
 */
export function quoteString(value: string): string {
  let text = '"';
  for (const character of value) {
    const code = character.charCodeAt(0);
    if (character === '"' || character === '\\') text += `\\${character}`;
    else if (character === '\n') text += '\\n';
    else if (character === '\t') text += '\\t';
    else if (character === '\r') text += '\\r';
    else if (code < 0x20 || code === 0x7f) text += `\\u${code.toString(16).padStart(4, '0')}`;
    else text += character;
  }
  return `${text}"`;
}

/** Writes a selector in canonical form: `disk_used_pct{mount="/", device!~"loop.*"}`. */
export function formatSelector(metric: string, matchers: readonly Pick<LabelMatcher, 'label' | 'op' | 'value'>[]): string {
  if (matchers.length === 0) return metric;
  return `${metric}{${matchers.map((matcher) => `${matcher.label}${matcher.op}${quoteString(matcher.value)}`).join(', ')}}`;
}

/**
 * Prints a condition in canonical form: one space around binary operators,
 * `, ` between arguments, durations as the shortest text, and parentheses
 * only where the precedence table requires them. Parsing the output gives
 * back the same tree.
 */
export function formatCondition(node: Expr): string {
  switch (node.kind) {
    case 'number':
      // Non-finite values are rejected by the checker; keeping the digits as
      // written leaves such a condition unchanged instead of printing `Infinity`.
      return Number.isFinite(node.value) ? String(node.value) : node.text;
    case 'string':
      return quoteString(node.value);
    case 'boolean':
      return String(node.value);
    case 'duration':
      return Number.isSafeInteger(node.ms) ? formatDuration(node.ms) : node.text;
    case 'list':
      return `[${node.items.map(formatCondition).join(', ')}]`;
    case 'selector':
      return formatSelector(node.metric, node.matchers);
    case 'tag':
      return `tag.${node.name}`;
    case 'call':
      return `${node.name}(${node.args.map(formatCondition).join(', ')})`;
    case 'unary': {
      const operand = formatCondition(node.operand);
      if (node.op === 'not') {
        return precedenceOf(node.operand) < PRECEDENCE.not ? `not (${operand})` : `not ${operand}`;
      }
      // `-(-x)` rather than `--x`, which reads as a different operator.
      const wrap = precedenceOf(node.operand) < PRECEDENCE.negation || (node.operand.kind === 'unary' && node.operand.op === '-');
      return wrap ? `-(${operand})` : `-${operand}`;
    }
    case 'binary':
      return formatBinary(node);
  }
}

function formatBinary(node: Binary): string {
  const own = precedenceOf(node);
  // Operators are left-associative, so a right operand of the same strength
  // needs parentheses; comparisons do not chain, so a comparison needs them
  // on either side.
  const leftNeedsParentheses = precedenceOf(node.left) < own || (own === PRECEDENCE.comparison && precedenceOf(node.left) === own);
  const rightNeedsParentheses = precedenceOf(node.right) <= own;
  const left = formatCondition(node.left);
  const right = formatCondition(node.right);
  return `${leftNeedsParentheses ? `(${left})` : left} ${node.op} ${rightNeedsParentheses ? `(${right})` : right}`;
}

/** Parses and prints condition text; returns the syntax issues instead when it does not parse. */
export function formatConditionText(source: string): { text?: string; issues: Issue[] } {
  const parsed = parseCondition(source);
  if (parsed.ast === undefined) return { issues: parsed.issues };
  return { text: formatCondition(parsed.ast), issues: [] };
}
