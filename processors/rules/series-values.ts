import type { Issue } from '../../grammar/diagnostics.js';

/**
 * Expanding notation for the `values` of a rule test's input series, as in
 * Prometheus' promtool. Tokens are separated by whitespace:
 *
 * | token   | expands to                                      |
 * |---------|-------------------------------------------------|
 * | `a`     | the sample `a`                                  |
 * | `a+bxn` | `a a+b a+2b … a+nb`: n + 1 samples              |
 * | `a-bxn` | `a a-b a-2b … a-nb`: n + 1 samples              |
 * | `axn`   | `a` n + 1 times, short for `a+0xn`              |
 * | `_`     | no sample at this step                          |
 * | `_xn`   | n steps without a sample (n, not n + 1)          |
 *
 * ```ts
 * parseSeriesValues('1 _x2 5+5x2').values; // [1, null, null, 5, 10, 15]
 * ```
 */

/** Maximum number of samples one `values` string may expand to, so a typo such as 1x10000000000 fails fast instead of exhausting memory. */
export const MAX_SERIES_VALUES = 100_000;

export interface SeriesValuesResult {
  /** One entry per interval step, null where the step has no sample; present when `issues` is empty. */
  values?: Array<number | null>;
  /** Problems located by offsets into the `values` text. */
  issues: Issue[];
}

const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const UNSIGNED_NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const SINGLE = new RegExp(`^${NUMBER}$`);
const EXPANSION = new RegExp(`^(${NUMBER})(?:([+-])(${UNSIGNED_NUMBER}))?x(\\d+)$`);
const GAPS = /^_x(\d+)$/;
/** The part before the count of an expansion, capturing whatever follows the 'x'. */
const EXPANSION_PREFIX = new RegExp(`^(?:_|${NUMBER}(?:[+-]${UNSIGNED_NUMBER})?)x(.*)$`);
const NON_FINITE = /^[+-]?(?:inf|infinity|nan)$/i;

const NOTATION_HINT = 'write a number such as 95, _ for a missing sample, or an expansion a+bxN, a-bxN or axN such as 95x20';

/** Expands a `values` string; see the notation above. Never throws. */
export function parseSeriesValues(text: string): SeriesValuesResult {
  const values: Array<number | null> = [];
  const issues: Issue[] = [];
  for (const match of text.matchAll(/\S+/g)) {
    const token = match[0];
    const start = match.index;
    const fail = (message: string): void => {
      issues.push({ message, start, end: start + token.length });
    };

    const expanded = expandToken(token, fail);
    if (expanded === undefined) continue;
    if (values.length + expanded.count > MAX_SERIES_VALUES) {
      fail(`'${token}' makes the series longer than ${MAX_SERIES_VALUES} samples: shorten it or raise 'interval'`);
      // Later tokens only add to an already too long series.
      break;
    }
    for (let i = 0; i < expanded.count; i++) values.push(expanded.at(i));
  }

  if (issues.length === 0 && values.length === 0) {
    issues.push({ message: "'values' is empty: write samples such as '50 95x20 40'", start: 0, end: text.length });
  }
  return issues.length > 0 ? { issues } : { values, issues };
}

interface Expansion {
  count: number;
  at(index: number): number | null;
}

function expandToken(token: string, fail: (message: string) => void): Expansion | undefined {
  if (token === '_') return { count: 1, at: () => null };

  const gaps = GAPS.exec(token);
  if (gaps) return { count: Number(gaps[1]), at: () => null };

  if (SINGLE.test(token)) {
    const value = Number(token);
    if (!Number.isFinite(value)) {
      fail(`number '${token}' is out of range`);
      return undefined;
    }
    return { count: 1, at: () => value };
  }

  const expansion = EXPANSION.exec(token);
  if (expansion) {
    const start = Number(expansion[1]);
    const step = expansion[2] === undefined ? 0 : Number(expansion[3]) * (expansion[2] === '-' ? -1 : 1);
    const repeats = Number(expansion[4]);
    const last = start + repeats * step;
    if (!Number.isFinite(start) || !Number.isFinite(step) || !Number.isFinite(last)) {
      fail(`'${token}' expands to numbers out of range`);
      return undefined;
    }
    // a + i·b rather than a running sum, so rounding errors do not build up.
    return { count: repeats + 1, at: (index) => start + index * step };
  }

  fail(describeInvalid(token));
  return undefined;
}

/** Explains what is wrong with a token that matches no form of the notation. */
function describeInvalid(token: string): string {
  if (token === 'stale') return "'stale' is not supported: fleetpulse has no staleness markers, so write _ for a step without a sample";
  if (NON_FINITE.test(token)) return `invalid value '${token}': samples are finite numbers, because the gateway rejects others`;
  if (/^_[+-]/.test(token)) return `invalid value '${token}': a missing sample cannot increase, so write _xN for N missing samples`;
  if (token.includes(',')) return `invalid value '${token}': separate samples with spaces, not commas`;

  const count = EXPANSION_PREFIX.exec(token);
  if (count && count[1] === '') return `invalid value '${token}': expected a count after 'x', as in ${token}10`;
  if (count) return `invalid value '${token}': the count after 'x' must be a whole number, as in ${token.slice(0, token.length - count[1]!.length)}10`;
  return `invalid value '${token}': ${NOTATION_HINT}`;
}
