import type { WindowFunction } from './functions.js';

/**
 * Reference semantics of the window functions, computed from a plain list of
 * samples. The rule engine computes the same values incrementally; its tests
 * can compare against these. Not meant for the hot path.
 */

export interface Sample {
  /** Event time in milliseconds since the epoch. */
  t: number;
  v: number;
}

/**
 * Returns the samples inside the window that ends at `now`: event time in
 * (now - rangeMs, now]. `samples` must be sorted by time.
 */
export function samplesInWindow(samples: readonly Sample[], now: number, rangeMs: number): Sample[] {
  return samples.filter((sample) => sample.t > now - rangeMs && sample.t <= now);
}

/**
 * Computes one window function over the samples of one window (sorted by
 * time). The result is NaN when the window contains too few samples: none for most
 * functions, fewer than two for `rate` and `delta`, fewer than two or a zero
 * standard deviation for `zscore`. `robust_zscore` is also NaN when the MAD
 * is 0. `absent` gives 1 for an empty window and 0 otherwise. `param` is the
 * quantile's φ.
 */
export function aggregateWindow(fn: WindowFunction, samples: readonly Sample[], param?: number): number {
  const values = samples.map((sample) => sample.v);
  const count = values.length;
  if (fn === 'absent') return count === 0 ? 1 : 0;
  if (count === 0) return Number.NaN;

  switch (fn) {
    case 'avg':
      return sum(values) / count;
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'sum':
      return sum(values);
    case 'count':
      return count;
    case 'last':
      return values[count - 1]!;
    case 'delta':
      return count < 2 ? Number.NaN : values[count - 1]! - values[0]!;
    case 'rate':
      return rate(samples);
    case 'stddev':
      return standardDeviation(values);
    case 'quantile':
      return quantile(param ?? Number.NaN, values);
    case 'robust_zscore':
      return robustZscore(values);
    case 'zscore': {
      if (count < 2) return Number.NaN;
      const deviation = standardDeviation(values);
      if (deviation === 0) return Number.NaN;
      return (values[count - 1]! - sum(values) / count) / deviation;
    }
  }
}

/**
 * Returns 0.6745 × (latest − median) / MAD, or NaN when the MAD is 0 (more
 * than half the samples equal the median). The factor 0.6745 makes it
 * comparable to a z-score for normally distributed data.
 */
function robustZscore(values: readonly number[]): number {
  const median = quantile(0.5, values);
  const mad = quantile(0.5, values.map((value) => Math.abs(value - median)));
  if (mad === 0) return Number.NaN;
  return (0.6745 * (values[values.length - 1]! - median)) / mad;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Population standard deviation, as Prometheus's stddev_over_time. */
function standardDeviation(values: readonly number[]): number {
  const mean = sum(values) / values.length;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return Math.sqrt(squares / values.length);
}

/**
 * Per-second increase of a counter between the first and the last sample. A
 * decrease is a counter reset: the counter restarted from 0, so the sample
 * after it counts in full. Unlike Prometheus's rate, no extrapolation to the
 * window's edges.
 */
function rate(samples: readonly Sample[]): number {
  if (samples.length < 2) return Number.NaN;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  if (last.t <= first.t) return Number.NaN;
  let increase = 0;
  for (let index = 1; index < samples.length; index++) {
    const previous = samples[index - 1]!.v;
    const current = samples[index]!.v;
    increase += current >= previous ? current - previous : current;
  }
  return increase / ((last.t - first.t) / 1000);
}

/** φ-quantile with linear interpolation between ranks, as Prometheus's quantile_over_time. */
function quantile(phi: number, values: readonly number[]): number {
  if (Number.isNaN(phi)) return Number.NaN;
  if (phi < 0) return Number.NEGATIVE_INFINITY;
  if (phi > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = phi * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const weight = rank - lower;
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}
