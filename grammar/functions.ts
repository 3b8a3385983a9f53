/** The window functions of the condition language and their signatures. */

export type WindowFunction =
  | 'avg'
  | 'min'
  | 'max'
  | 'sum'
  | 'count'
  | 'last'
  | 'rate'
  | 'delta'
  | 'stddev'
  | 'quantile'
  | 'zscore'
  | 'robust_zscore'
  | 'absent';

/**
 * Kinds of argument: a quantile φ (number literal), a metric selector, a
 * window duration, a minimum sample count (integer literal).
 */
export type Parameter = 'phi' | 'metric' | 'window' | 'count';

export interface FunctionInfo {
  /** Accepted argument lists; `absent` has two. */
  signatures: readonly (readonly Parameter[])[];
  returns: 'number' | 'boolean';
  /** One line for the language reference and for messages. */
  summary: string;
}

export const FUNCTIONS: Readonly<Record<WindowFunction, FunctionInfo>> = {
  avg: { signatures: [['metric', 'window']], returns: 'number', summary: 'mean of the samples in the window' },
  min: { signatures: [['metric', 'window']], returns: 'number', summary: 'smallest sample in the window' },
  max: { signatures: [['metric', 'window']], returns: 'number', summary: 'largest sample in the window' },
  sum: { signatures: [['metric', 'window']], returns: 'number', summary: 'sum of the samples in the window' },
  count: { signatures: [['metric', 'window']], returns: 'number', summary: 'number of samples in the window' },
  last: { signatures: [['metric', 'window']], returns: 'number', summary: 'latest sample in the window' },
  rate: { signatures: [['metric', 'window']], returns: 'number', summary: 'per-second increase of a counter, counting a decrease as a reset' },
  delta: { signatures: [['metric', 'window']], returns: 'number', summary: 'last sample minus first sample in the window' },
  stddev: { signatures: [['metric', 'window']], returns: 'number', summary: 'population standard deviation of the samples in the window' },
  quantile: { signatures: [['phi', 'metric', 'window']], returns: 'number', summary: 'φ-quantile of the samples in the window, 0 ≤ φ ≤ 1' },
  zscore: {
    signatures: [
      ['metric', 'window'],
      ['metric', 'window', 'count'],
    ],
    returns: 'number',
    summary: "z-score of the latest sample against the window's mean and standard deviation; missing until the window holds the optional minimum count",
  },
  robust_zscore: {
    signatures: [
      ['metric', 'window'],
      ['metric', 'window', 'count'],
    ],
    returns: 'number',
    summary: "robust z-score of the latest sample, 0.6745 × (x − median) / MAD over the window; missing until the window holds the optional minimum count",
  },
  absent: {
    signatures: [['window'], ['metric', 'window']],
    returns: 'boolean',
    summary: 'true when no sample (of any metric, or of the given metric) arrived within the window',
  },
};

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as WindowFunction[];

export function isWindowFunction(name: string): name is WindowFunction {
  return Object.hasOwn(FUNCTIONS, name);
}

/** Levenshtein distance between two short strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Finds the candidate nearest to `name` by edit distance, when it is close enough
 * to be a likely typo: at most 2 edits and fewer edits than `name` has
 * characters.
 */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = name.toLowerCase();
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= 2 && bestDistance < name.length ? best : undefined;
}
