import type { Scalar } from 'yaml';
import type { OffsetMap } from './diagnostics.js';

/**
 * The value of a YAML scalar together with where each of its characters was
 * written in the file, so that a position inside a rule's condition maps back
 * to the file's own line and column.
 *
 * YAML changes text on the way to the value: quoted scalars decode escapes
 * (`\t`, `\x41`, `\u00e9`, `''`), multi-line flow scalars fold line breaks
 * into spaces, block scalars drop their indentation. The decoder below
 * repeats those steps while recording offsets.
 */
export interface MappedScalar {
  value: string;
  /** File offset of each character of `value`, plus one entry for the end. */
  offsets: number[];
  /**
   * False when the decoder's result differed from the value the yaml package
   * produced; `offsets` then all point at the scalar's first character.
   */
  exact: boolean;
}

/**
 * Maps a scalar parsed with `keepSourceTokens: true`. `expected` is the text
 * the caller uses as the value (the scalar's string value, or the source of a
 * plain scalar that resolved to a number or boolean).
 */
export function mapScalar(node: Scalar, expected: string): MappedScalar {
  const start = node.range?.[0] ?? 0;
  const token = node.srcToken;
  let decoded: Decoded | undefined;
  if (token !== undefined) {
    switch (token.type) {
      case 'scalar':
        decoded = decodeFlow(token.source, token.offset, 'plain');
        break;
      case 'single-quoted-scalar':
        decoded = decodeFlow(token.source, token.offset, 'single');
        break;
      case 'double-quoted-scalar':
        decoded = decodeFlow(token.source, token.offset, 'double');
        break;
      case 'block-scalar': {
        const props = token.props.map((prop) => ('source' in prop ? prop : { type: prop.type, source: '' }));
        const header = props.find((prop) => prop.type === 'block-scalar-header')?.source ?? '|';
        // The props (header, comment, line break) come right before the content.
        const contentStart = token.offset + props.reduce((length, prop) => length + prop.source.length, 0);
        decoded = decodeBlock(header, token.source, contentStart, token.indent);
        break;
      }
    }
  }

  if (decoded !== undefined && decoded.text === expected) {
    return { value: expected, offsets: [...decoded.offsets, decoded.end], exact: true };
  }
  return { value: expected, offsets: new Array<number>(expected.length + 1).fill(start), exact: false };
}

/** Builds the offset map of a mapped scalar; offsets past the end land on the end. */
export function offsetMapOf(mapped: MappedScalar): OffsetMap {
  const { offsets } = mapped;
  return (offset) => offsets[Math.max(0, Math.min(offset, offsets.length - 1))]!;
}

interface Decoded {
  text: string;
  offsets: number[];
  /** File offset just past the last character of the value. */
  end: number;
}

class Output {
  text = '';
  readonly offsets: number[] = [];

  push(characters: string, offset: number): void {
    for (let index = 0; index < characters.length; index++) {
      this.text += characters[index];
      this.offsets.push(offset);
    }
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};

const HEX_ESCAPE_LENGTHS: Record<string, number> = { x: 2, u: 4, U: 8 };

function isBlank(character: string | undefined): boolean {
  return character === ' ' || character === '\t';
}

function isBreak(character: string | undefined): boolean {
  return character === '\n' || character === '\r';
}

/** Length of the line break at `index` (`\r\n` counts 2), 0 when there is none. */
function breakLength(source: string, index: number): number {
  if (source[index] === '\r') return source[index + 1] === '\n' ? 2 : 1;
  return source[index] === '\n' ? 1 : 0;
}

/**
 * Decodes a plain, single-quoted or double-quoted scalar. A line break and
 * the whitespace around it fold into one space; each empty line in between
 * becomes a newline instead.
 */
function decodeFlow(source: string, base: number, style: 'plain' | 'single' | 'double'): Decoded {
  const out = new Output();
  const quoted = style !== 'plain';
  let index = quoted ? 1 : 0;
  const stop = quoted ? source.length - 1 : source.length;
  // Raw blanks waiting to see whether a line break (which drops them) follows.
  let blanks: Array<[string, number]> = [];

  const flushBlanks = () => {
    for (const [character, offset] of blanks) out.push(character, offset);
    blanks = [];
  };

  /** Skips a line break, the empty lines after it and the next line's indentation; returns how many empty lines it skipped. */
  const skipBreak = (): number => {
    index += breakLength(source, index);
    let emptyLines = 0;
    for (;;) {
      while (index < stop && isBlank(source[index])) index++;
      if (index < stop && isBreak(source[index])) {
        out.push('\n', base + index);
        emptyLines++;
        index += breakLength(source, index);
        continue;
      }
      return emptyLines;
    }
  };

  while (index < stop) {
    const character = source[index]!;

    if (style === 'double' && character === '\\') {
      flushBlanks();
      const next = source[index + 1];
      if (isBreak(next)) {
        // An escaped line break joins the lines without a space.
        index += 1;
        skipBreak();
        continue;
      }
      const simple = next === undefined ? undefined : SIMPLE_ESCAPES[next];
      if (simple !== undefined) {
        out.push(simple, base + index);
        index += 2;
        continue;
      }
      const length = next === undefined ? undefined : HEX_ESCAPE_LENGTHS[next];
      if (length !== undefined) {
        const code = Number.parseInt(source.slice(index + 2, index + 2 + length), 16);
        out.push(String.fromCodePoint(code), base + index);
        index += 2 + length;
        continue;
      }
      // An invalid escape: the yaml package reports it; keep the text.
      out.push(character, base + index);
      index += 1;
      continue;
    }

    if (style === 'single' && character === "'" && source[index + 1] === "'") {
      flushBlanks();
      out.push("'", base + index);
      index += 2;
      continue;
    }

    if (isBlank(character)) {
      blanks.push([character, base + index]);
      index += 1;
      continue;
    }

    if (isBreak(character)) {
      blanks = [];
      const breakOffset = base + index;
      const emptyLines = skipBreak();
      if (emptyLines === 0) out.push(' ', breakOffset);
      continue;
    }

    flushBlanks();
    out.push(character, base + index);
    index += 1;
  }
  flushBlanks();
  return { text: out.text, offsets: out.offsets, end: base + stop };
}

interface BlockLine {
  /** Offset in the file of the first character after the indentation. */
  offset: number;
  text: string;
  /** Offset in the file of the line break ending this line (the content end for the last line). */
  breakOffset: number;
  empty: boolean;
}

/**
 * Decodes a literal (`|`) or folded (`>`) block scalar from its header (such
 * as `|2-`) and content. `parentIndent` is the indentation of the collection
 * the scalar belongs to, which an explicit indentation indicator counts from.
 */
function decodeBlock(header: string, source: string, base: number, parentIndent: number): Decoded {
  const folded = header.startsWith('>');
  const chomping = header.includes('-') ? 'strip' : header.includes('+') ? 'keep' : 'clip';
  const indicator = /[1-9]/.exec(header)?.[0];

  const rawLines: Array<{ start: number; text: string; breakOffset: number }> = [];
  let position = 0;
  while (position < source.length) {
    let end = position;
    while (end < source.length && !isBreak(source[end])) end++;
    rawLines.push({ start: position, text: source.slice(position, end), breakOffset: base + end });
    position = end + breakLength(source, end);
    if (end >= source.length) break;
  }

  let indent: number;
  if (indicator !== undefined) {
    indent = parentIndent + Number(indicator);
  } else {
    // With no content line every line is empty, whatever its blanks.
    const first = rawLines.find((line) => /[^ ]/.test(line.text));
    // Only spaces indent in YAML; a tab after them is content.
    indent = first === undefined ? Number.POSITIVE_INFINITY : /^ */.exec(first.text)![0].length;
  }

  const lines: BlockLine[] = rawLines.map((line) => {
    // A line of spaces no longer than the indentation is empty; a tab is content.
    const empty = line.text.length <= indent && !/[^ ]/.test(line.text);
    const text = empty ? '' : line.text.slice(indent);
    return { offset: base + line.start + Math.min(indent, line.text.length), text, breakOffset: line.breakOffset, empty };
  });

  const out = new Output();
  let lastContent = -1;
  lines.forEach((line, index) => {
    if (!line.empty) lastContent = index;
  });

  let previous: BlockLine | undefined;
  let emptyRun: BlockLine[] = [];
  for (let index = 0; index <= lastContent; index++) {
    const line = lines[index]!;
    if (line.empty) {
      emptyRun.push(line);
      continue;
    }
    if (previous === undefined) {
      for (const empty of emptyRun) out.push('\n', empty.breakOffset);
    } else {
      const moreIndented = isBlank(previous.text[0]) || isBlank(line.text[0]);
      if (folded && !moreIndented) {
        if (emptyRun.length === 0) out.push(' ', previous.breakOffset);
        for (const empty of emptyRun) out.push('\n', empty.breakOffset);
      } else {
        out.push('\n', previous.breakOffset);
        for (const empty of emptyRun) out.push('\n', empty.breakOffset);
      }
    }
    emptyRun = [];
    for (let column = 0; column < line.text.length; column++) out.push(line.text[column]!, line.offset + column);
    previous = line;
  }

  let end = previous === undefined ? base : previous.breakOffset;
  if (previous !== undefined && chomping !== 'strip') {
    out.push('\n', previous.breakOffset);
    end = previous.breakOffset;
  }
  if (chomping === 'keep') {
    // Every line break after the content stays, including those of empty lines.
    const trailing = lines.slice(lastContent + 1).filter((line, index, all) => index < all.length - 1 || line.breakOffset < base + source.length);
    for (const line of trailing) out.push('\n', line.breakOffset);
  }
  return { text: out.text, offsets: out.offsets, end };
}
