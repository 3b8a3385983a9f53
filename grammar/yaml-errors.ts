import { isSeq, visit, type Document, type YAMLError } from 'yaml';
import type { Diagnostic, SourceFile } from './diagnostics.js';

/** A YAML syntax error as the author should see it: where to look and what to change. */
interface PlacedError {
  message: string;
  start: number;
  end: number;
}

/**
 * Builds the diagnostics for the YAML syntax errors of a parsed document.
 * The yaml package reports some errors where it gave up, such as an unclosed
 * quote at the end of the file, or in its own terms ("nested mappings are not
 * allowed in compact mappings"). The common cases are moved to the text the
 * author has to change and explained in plain words. Two errors of one cause
 * at one place give one diagnostic.
 */
export function yamlErrorDiagnostics(document: Document.Parsed, source: SourceFile): Diagnostic[] {
  const lines = new SourceLines(source.text);
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of document.errors) {
    const placed = placeYamlError(error, document, lines);
    const key = `${placed.start}:${placed.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(source.diagnostic(`invalid YAML: ${placed.message}`, placed.start, placed.end));
  }
  return diagnostics;
}

function placeYamlError(error: YAMLError, document: Document.Parsed, lines: SourceLines): PlacedError {
  const [start, end] = error.pos;
  const placed =
    (/closing .?quote/i.test(error.message) ? unclosedQuote(start, document, lines) : undefined) ??
    (/end with an? [\]}]/.test(error.message) || /flow (sequence|mapping|collection)/i.test(error.message) ? unclosedFlowCollection(start, document) : undefined) ??
    (error.code === 'BLOCK_AS_IMPLICIT_KEY' || error.code === 'MULTILINE_IMPLICIT_KEY' ? continuedValue(start, lines) : undefined) ??
    (/without - indicator/.test(error.message) ? lessIndentedKey(start, lines) : undefined) ??
    tabIndentation(start, lines);
  if (placed) return placed;

  // The yaml package appends "at line L, column C" to some messages, which the diagnostic's own position replaces.
  const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
  const tokenStart = lines.nextVisible(start);
  return { message: `${message.charAt(0).toLowerCase()}${message.slice(1)}`, start: tokenStart, end: Math.max(end, tokenStart + 1) };
}

/** Places a quoted value without its closing quote at the opening quote, where the yaml package reports the end of the file. */
function unclosedQuote(errorStart: number, document: Document.Parsed, lines: SourceLines): PlacedError | undefined {
  let opening: { offset: number; quote: string } | undefined;
  visit(document, {
    Scalar(_, node) {
      if ((node.type !== 'QUOTE_DOUBLE' && node.type !== 'QUOTE_SINGLE') || node.range?.[1] !== errorStart) return;
      opening = { offset: node.range[0], quote: node.type === 'QUOTE_DOUBLE' ? '"' : "'" };
      return visit.BREAK;
    },
  });
  if (opening === undefined) return undefined;

  const runsTo = errorStart >= lines.text.trimEnd().length ? 'the end of the file' : `line ${lines.lineOf(errorStart)}`;
  return {
    message: `the ${opening.quote} opened here is never closed, so the value runs on to ${runsTo}; add the closing ${opening.quote} where the value ends`,
    start: opening.offset,
    end: opening.offset + 1,
  };
}

/** Places a `[` or `{` without its closing bracket at the bracket, where the yaml package reports the place it gave up. */
function unclosedFlowCollection(errorStart: number, document: Document.Parsed): PlacedError | undefined {
  let opening: { offset: number; bracket: string } | undefined;
  visit(document, {
    Collection(_, node) {
      if (!node.flow || node.range?.[1] !== errorStart) return;
      opening = { offset: node.range[0], bracket: isSeq(node) ? '[' : '{' };
      return visit.BREAK;
    },
  });
  if (opening === undefined) return undefined;
  const closing = opening.bracket === '[' ? ']' : '}';
  return { message: `the ${opening.bracket} opened here is never closed; add ${closing} after its last item`, start: opening.offset, end: opening.offset + 1 };
}

/**
 * Explains the errors of a value that YAML reads on into the next key. Three
 * mistakes cause them: a key indented more than the key above it ("nested
 * mappings are not allowed in compact mappings"), a value with `: ` in it,
 * and a `key:value` without the space after the colon.
 */
function continuedValue(errorStart: number, lines: SourceLines): PlacedError | undefined {
  const line = lines.lineOf(errorStart);
  const above = lines.keyOf(line);
  const nextLine = lines.nextNonBlankLine(line);
  const below = nextLine === undefined ? undefined : lines.keyOf(nextLine);

  if (above && below && below.column > above.column) {
    return {
      message:
        `'${below.name}:' is indented more than '${above.name}:' on line ${line}, so YAML reads it as more text of that value; ` +
        `indent it by ${above.column} spaces, as '${above.name}:' is`,
      start: below.offset,
      end: below.offset + below.name.length + 1,
    };
  }

  const keyOnLine = lines.keyOf(line);
  const valueStart = keyOnLine === undefined ? -1 : lines.lineText(line).indexOf(':', keyOnLine.column) + 1;
  const value = valueStart > 0 ? lines.lineText(line).slice(valueStart).trim() : '';
  if (/^[^'"[{].*: /.test(value)) {
    const offset = lines.startOf(line) + lines.lineText(line).indexOf(value, valueStart);
    return {
      message: `the value contains ': ', which YAML reads as another key; quote the value: '${value.replaceAll("'", "''")}'`,
      start: offset,
      end: offset + value.length,
    };
  }

  const missingSpace = /([A-Za-z_][\w.-]*):(?=[^\s:/])/.exec(lines.lineText(line));
  if (missingSpace) {
    const offset = lines.startOf(line) + missingSpace.index;
    return {
      message: `'${missingSpace[0]}' needs a space after the colon to be a key; write '${missingSpace[1]}: ${lines.lineText(line).slice(missingSpace.index + missingSpace[0].length).trim()}'`,
      start: offset,
      end: offset + missingSpace[0].length,
    };
  }
  return undefined;
}

/** Explains a key indented less than the keys of its mapping but more than the list item's `-`, which puts it in no mapping. */
function lessIndentedKey(errorStart: number, lines: SourceLines): PlacedError | undefined {
  const line = lines.lineOf(errorStart);
  const key = lines.keyOf(line);
  const previousLine = lines.previousNonBlankLine(line);
  const above = previousLine === undefined ? undefined : lines.keyOf(previousLine);
  if (!key || !above || key.column >= above.column) return undefined;
  return {
    message: `'${key.name}:' is indented less than '${above.name}:' on line ${previousLine}, so it belongs to no mapping; indent it by ${above.column} spaces, as '${above.name}:' is`,
    start: key.offset,
    end: key.offset + key.name.length + 1,
  };
}

/** Places a tab in the indentation, which YAML forbids, at the tab itself. The yaml package reports the token after it. */
function tabIndentation(errorStart: number, lines: SourceLines): PlacedError | undefined {
  const line = lines.lineOf(errorStart);
  const indentation = /^[ \t]*/.exec(lines.lineText(line))![0];
  const tab = indentation.indexOf('\t');
  if (tab < 0) return undefined;
  const offset = lines.startOf(line) + tab;
  return { message: 'YAML does not allow tabs for indentation; indent with spaces', start: offset, end: offset + 1 };
}

/** Line and column lookups in the text of a YAML file. Lines are 1-based and columns 0-based. */
class SourceLines {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let index = 0; index < text.length; index++) {
      if (text[index] === '\n') this.starts.push(index + 1);
    }
  }

  lineOf(offset: number): number {
    let line = 1;
    while (line < this.starts.length && this.starts[line]! <= offset) line++;
    return line;
  }

  startOf(line: number): number {
    return this.starts[line - 1] ?? this.text.length;
  }

  lineText(line: number): string {
    const start = this.startOf(line);
    const end = line < this.starts.length ? this.starts[line]! - 1 : this.text.length;
    return this.text.slice(start, end).replace(/\r$/, '');
  }

  nextNonBlankLine(line: number): number | undefined {
    for (let next = line + 1; next <= this.starts.length; next++) if (this.lineText(next).trim() !== '') return next;
    return undefined;
  }

  previousNonBlankLine(line: number): number | undefined {
    for (let previous = line - 1; previous >= 1; previous--) if (this.lineText(previous).trim() !== '') return previous;
    return undefined;
  }

  /** Finds the key a line starts with, after its indentation and a list item's `- `, with its column and offset. */
  keyOf(line: number): { name: string; column: number; offset: number } | undefined {
    const match = /^( *)(- +)?([^\s:#'"[\]{},-][^:#]*?) *:(\s|$)/.exec(this.lineText(line));
    if (!match) return undefined;
    const column = match[1]!.length + (match[2]?.length ?? 0);
    return { name: match[3]!, column, offset: this.startOf(line) + column };
  }

  /** Returns the offset of the first character at or after `offset` that is not a space or tab, or `offset` when the rest of the line is blank. */
  nextVisible(offset: number): number {
    let index = offset;
    while (index < this.text.length && (this.text[index] === ' ' || this.text[index] === '\t')) index++;
    return index < this.text.length && this.text[index] !== '\n' && this.text[index] !== '\r' ? index : offset;
  }
}
