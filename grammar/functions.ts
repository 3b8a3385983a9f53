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
    summary: "z-score of the latest sample against the window's mean and standard deviation; missing until the window contains the optional minimum count",
  },
  robust_zscore: {
    signatures: [
      ['metric', 'window'],
      ['metric', 'window', 'count'],
    ],
    returns: 'number',
    summary: "robust z-score of the latest sample, 0.6745 × (x − median) / MAD over the window; missing until the window contains the optional minimum count",
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

// The edit-distance helpers live in pipeline/config, so that the configuration
// loader shares them. Rule diagnostics import them from here.
export { editDistance, nearestName } from '../pipeline/config/nearest-name.js';
