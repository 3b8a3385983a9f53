import type { Expectation, SyntaxError as PeggySyntaxError } from './generated/parser.js';

/**
 * A problem in one condition, located by UTF-16 offsets into the condition
 * text (`end` exclusive). The parser and the checker produce these; a
 * `Diagnostic` places them in a file.
 */
export interface Issue {
  message: string;
  start: number;
  end: number;
}

/** A problem located in a file, ready to print. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  file: string;
  /** 1-based line; 0 when the problem concerns the whole file, such as a read failure. */
  line: number;
  /** 1-based column in UTF-16 code units; 0 together with `line` 0. */
  column: number;
  /** Column just past the offending text when it ends on the same line, else the end of the line. */
  endColumn: number;
  /** The text of `line`, without its line break. */
  sourceLine: string;
  message: string;
  /** Name of the rule the problem belongs to, when known. */
  rule?: string;
}

/** Converts offsets of a text into lines and columns, and cuts out lines. */
export class SourceFile {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    for (let index = 0; index < text.length; index++) {
      const character = text.charCodeAt(index);
      if (character === 10) {
        this.lineStarts.push(index + 1);
      } else if (character === 13 && text.charCodeAt(index + 1) !== 10) {
        this.lineStarts.push(index + 1);
      }
    }
  }

  /** 1-based line and column of an offset; offsets past the end land on the last position. */
  position(offset: number): { line: number; column: number } {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle]! <= clamped) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: clamped - this.lineStarts[low]! + 1 };
  }

  /** Text of a 1-based line without its line break. */
  lineText(line: number): string {
    const start = this.lineStarts[line - 1];
    if (start === undefined) return '';
    const next = this.lineStarts[line];
    const raw = this.text.slice(start, next ?? this.text.length);
    return raw.replace(/\r?\n$|\r$/, '');
  }

  /** Builds a diagnostic for the text between two offsets of this file. */
  diagnostic(message: string, start: number, end: number, extra: { rule?: string; severity?: 'error' | 'warning' } = {}): Diagnostic {
    const from = this.position(start);
    const to = this.position(Math.max(start, end));
    const sourceLine = this.lineText(from.line);
    const endColumn = to.line === from.line ? Math.max(to.column, from.column + 1) : sourceLine.length + 1;
    const diagnostic: Diagnostic = {
      severity: extra.severity ?? 'error',
      file: this.name,
      line: from.line,
      column: from.column,
      endColumn: Math.max(endColumn, from.column + 1),
      sourceLine,
      message,
    };
    if (extra.rule !== undefined) diagnostic.rule = extra.rule;
    return diagnostic;
  }

  /** Builds a diagnostic about the file as a whole, with no position. */
  fileDiagnostic(message: string, extra: { rule?: string } = {}): Diagnostic {
    const diagnostic: Diagnostic = { severity: 'error', file: this.name, line: 0, column: 0, endColumn: 0, sourceLine: '', message };
    if (extra.rule !== undefined) diagnostic.rule = extra.rule;
    return diagnostic;
  }
}

/**
 * Maps an offset in a condition's text to the offset in its file where that
 * character was written. Identity for a condition that is a file of its own.
 */
export type OffsetMap = (offset: number) => number;

/** Places condition issues in a file through the condition's offset map. */
export function placeIssues(issues: readonly Issue[], file: SourceFile, map: OffsetMap, rule?: string): Diagnostic[] {
  return issues.map((issue) => {
    const start = map(issue.start);
    const end = issue.end > issue.start ? map(issue.end - 1) + 1 : start;
    return file.diagnostic(issue.message, start, end, rule === undefined ? {} : { rule });
  });
}

/**
 * Renders a diagnostic as the offending line with carets under the columns:
 *
 * ```text
 * rules/cpu.yml:4:29: error in rule HighCPU: expected a duration such as 5m after ',' but found '5'
 *   4 |   condition: avg(cpu_usage, 5) > 80
 *     |                             ^
 * ```
 */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const where = diagnostic.line > 0 ? `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}` : diagnostic.file;
  const subject = diagnostic.rule === undefined ? diagnostic.severity : `${diagnostic.severity} in rule ${diagnostic.rule}`;
  const head = `${where}: ${subject}: ${diagnostic.message}`;
  if (diagnostic.line === 0) return head;

  const gutter = String(diagnostic.line);
  const blank = ' '.repeat(gutter.length);
  // Tabs before the column stay tabs so the carets line up in a terminal.
  const before = diagnostic.sourceLine.slice(0, diagnostic.column - 1).replace(/[^\t]/g, ' ');
  const width = Math.max(1, diagnostic.endColumn - diagnostic.column);
  return `${head}\n  ${gutter} | ${diagnostic.sourceLine}\n  ${blank} | ${before}${'^'.repeat(width)}`;
}

/** Renders diagnostics one after another, separated by blank lines. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map(formatDiagnostic).join('\n\n');
}

/** Sorts diagnostics by file, line and column, keeping the order of equal positions. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => {
    if (a.file !== b.file) return a.file < b.file ? -1 : 1;
    return a.line - b.line || a.column - b.column;
  });
}

// ---------------------------------------------------------------------------
// Syntax errors

/** One token of condition text: a number or duration, a name, a string, an operator or one character. */
const TOKEN = /[0-9][0-9a-zA-Z_.]*|tag\.[a-zA-Z0-9_]*|[a-zA-Z_:][a-zA-Z0-9_:]*|"(?:[^"\\\n]|\\.)*"?|`[^`]*`?|>=|<=|==|!=|=~|!~|\S/y;
const MAX_TOKEN_LENGTH = 24;

function tokenAt(source: string, offset: number): string | undefined {
  TOKEN.lastIndex = offset;
  const match = TOKEN.exec(source);
  if (match === null) return undefined;
  const token = match[0];
  return token.length > MAX_TOKEN_LENGTH ? `${token.slice(0, MAX_TOKEN_LENGTH)}…` : token;
}

/** Finds the last token that ends at or before `offset`, skipping whitespace. */
function tokenBefore(source: string, offset: number): string | undefined {
  let position = 0;
  let last: string | undefined;
  while (position < offset) {
    while (position < offset && /\s/.test(source[position]!)) position++;
    if (position >= offset) break;
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(source);
    if (match === null || position + match[0].length > offset) {
      last = source.slice(position, offset).trim() || last;
      break;
    }
    last = match[0];
    position += match[0].length;
  }
  if (last !== undefined && last.length > MAX_TOKEN_LENGTH) return `…${last.slice(-MAX_TOKEN_LENGTH)}`;
  return last;
}

/** Descriptions the grammar gives to the tokens that can start an operand. */
const OPERAND_STARTS = new Set([
  'a number',
  'a duration such as 5m',
  'a string',
  'a metric or function name',
  '(',
  '[',
  '-',
  'not',
  'true',
  'false',
  'tag.',
]);

const BINARY_OPERATORS = new Set([
  '+', '-', '*', '/', '%', '>', '>=', '<', '<=', '==', '!=', '=~', '!~', '=', 'and', 'or', 'in', 'not',
]);

const MATCH_OPERATORS = new Set(['=', '!=', '=~', '!~', '==']);

/** Brackets that may follow a name: `(` opens a call and `{` label matchers. They are listed only when no operator fits. */
const NAME_SUFFIXES = new Set(['(', '{']);

function describeExpectation(expectation: Expectation): string | undefined {
  switch (expectation.type) {
    case 'literal':
      return expectation.text;
    case 'other':
      return expectation.description;
    case 'end':
      return 'the end of the condition';
    default:
      // Character classes continue a token that is already valid here
      // (more digits, more name characters, whitespace): not worth listing.
      return undefined;
  }
}

/** Turns peggy's expected set into a short list of plain phrases. */
function expectedPhrases(expected: readonly Expectation[]): string[] {
  const items = new Set<string>();
  for (const expectation of expected) {
    const text = describeExpectation(expectation);
    if (text !== undefined) items.add(text);
  }

  const phrases: string[] = [];
  const valueExpected = items.has('a number') && items.has('a metric or function name');
  if (valueExpected) {
    phrases.push('a value');
    for (const item of OPERAND_STARTS) items.delete(item);
  }
  const operators = [...items].filter((item) => BINARY_OPERATORS.has(item));
  if (operators.length > 0 && operators.every((item) => MATCH_OPERATORS.has(item))) {
    // Inside `{...}` after a label name only the matcher operators fit.
    phrases.push(joinPhrases(['=', '!=', '=~', '!~'].map((item) => `'${item}'`)));
    for (const item of MATCH_OPERATORS) items.delete(item);
  } else if (operators.length > 0) {
    phrases.push('an operator');
    for (const item of BINARY_OPERATORS) items.delete(item);
    for (const item of NAME_SUFFIXES) items.delete(item);
  }

  const end = items.delete('the end of the condition');
  for (const item of items) {
    phrases.push(item.startsWith('a ') || item.startsWith('an ') ? item : `'${item}'`);
  }
  if (end) phrases.push('the end of the condition');
  return phrases;
}

function joinPhrases(phrases: readonly string[]): string {
  if (phrases.length <= 1) return phrases[0] ?? 'something else';
  return `${phrases.slice(0, -1).join(', ')} or ${phrases[phrases.length - 1]}`;
}

/**
 * Builds a plain message for a syntax error of the generated parser. Errors
 * the grammar raises itself keep their message; the others are written as
 * `expected <what> after '<previous token>' but found '<token>'`.
 */
export function syntaxIssue(error: PeggySyntaxError, source: string): Issue {
  const start = error.location.start.offset;
  if (!error.expected) {
    return { message: error.message, start, end: error.location.end.offset };
  }

  const found = tokenAt(source, start);
  const previous = tokenBefore(source, start);
  const expectation = joinPhrases(expectedPhrases(error.expected));
  const after = previous === undefined ? '' : ` after '${previous}'`;
  const but = found === undefined ? 'the end of the condition' : `'${found}'`;
  const end = found === undefined ? start : start + Math.min(found.replace(/…$/, '').length, source.length - start);
  return { message: `expected ${expectation}${after} but found ${but}`, start, end };
}
