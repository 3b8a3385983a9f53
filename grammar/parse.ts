import { depthOf, type Expr } from './ast.js';
import { syntaxIssue, type Issue } from './diagnostics.js';
import { parse, SyntaxError as PeggySyntaxError } from './generated/parser.js';

/**
 * Deepest syntax tree accepted. The checker, compiler and formatter recurse
 * once per level, so this bound keeps them far from the call-stack limit.
 */
export const MAX_DEPTH = 200;

export interface ParseResult {
  /** The tree, present when `issues` is empty. */
  ast?: Expr;
  issues: Issue[];
}

/**
 * Parses condition text into a syntax tree. Syntax errors and input too
 * deeply nested to parse come back as issues located in `source`, so
 * invalid input never throws (fuzz.test.ts checks this on random input).
 */
export function parseCondition(source: string): ParseResult {
  if (source.trim() === '') {
    return { issues: [{ message: 'the condition is empty: write an expression such as cpu_usage > 90', start: 0, end: source.length }] };
  }

  let ast: Expr;
  try {
    ast = parse(source);
  } catch (error) {
    if (error instanceof PeggySyntaxError) return { issues: [syntaxIssue(error, source)] };
    // The generated parser recurses once per nesting level, so thousands of
    // nested parentheses or `not`s overflow the call stack before MAX_DEPTH
    // is checked.
    if (error instanceof RangeError) {
      return { issues: [{ message: `the condition is nested too deeply to parse: keep it under ${MAX_DEPTH} levels of parentheses and operators`, start: 0, end: 0 }] };
    }
    throw error;
  }

  if (depthOf(ast) > MAX_DEPTH) {
    return { issues: [{ message: `the condition is nested more than ${MAX_DEPTH} levels deep: split it into simpler expressions`, start: ast.loc.start.offset, end: ast.loc.end.offset }] };
  }
  return { ast, issues: [] };
}
