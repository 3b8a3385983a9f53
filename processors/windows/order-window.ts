import { SampleRing } from './sample-ring.js';

/** Scale of the robust z-score: the 0.75 quantile of the standard normal, so the score matches a z-score on normal data. */
const MAD_SCALE = 0.6745;

/** Maximum number of values moved in a plain loop. Longer moves use `copyWithin`, whose call costs more than a short loop. */
const LOOP_MOVE_LIMIT = 64;

/**
 * `quantile` and `robust_zscore`: the window's values kept sorted, in the
 * ring's buffer after the (time, value) pairs.
 *
 * A sample that joins or leaves costs a binary search, O(log n), plus a move
 * of up to n values: O(n), though long moves are a single memmove. When an
 * advance evicts one sample and admits one, the pair costs one move of the
 * values between their two positions.
 * `quantile` reads two neighbours, O(1). `robust_zscore` finds the median in
 * O(1) and the MAD (median absolute deviation) as order statistics of two
 * sorted sequences in O(log n).
 */
export class OrderWindow extends SampleRing {
  private readonly kind: 'quantile' | 'robust_zscore';
  private readonly phi: number;
  /**
   * Whether `evictedValue` has left the window but is still among the sorted
   * values: an advance that evicts one sample and admits another then moves
   * only the values between the two positions, once.
   */
  private hasEvicted = false;
  private evictedValue = 0;

  constructor(kind: 'quantile' | 'robust_zscore', rangeMs: number, phi: number) {
    super(rangeMs, 1);
    this.kind = kind;
    this.phi = phi;
  }

  protected admitNewest(): void {
    this.insert(this.valueAt(this.admitted - 1));
  }

  protected admitLate(offset: number): void {
    this.insert(this.valueAt(offset));
  }

  protected evictOldest(): void {
    // `admitted` still counts the sample leaving.
    if (this.hasEvicted) this.remove(this.evictedValue, this.admitted + 1);
    this.evictedValue = this.valueAt(0);
    this.hasEvicted = true;
  }

  protected override moveExtra(previous: Float64Array, previousCapacity: number): void {
    const from = previousCapacity * 2;
    const to = this.capacity * 2;
    const length = this.admitted + (this.hasEvicted ? 1 : 0);
    for (let index = 0; index < length; index++) this.buffer[to + index] = previous[from + index]!;
  }

  protected refresh(): void {
    if (this.hasEvicted) {
      this.remove(this.evictedValue, this.admitted + 1);
      this.hasEvicted = false;
    }
    const count = this.admitted;
    const base = this.capacity * 2;
    if (count === 0) {
      this.cached = Number.NaN;
    } else if (this.kind === 'quantile') {
      this.cached = quantileOfSorted(this.buffer, base, count, this.phi);
    } else {
      const median = quantileOfSorted(this.buffer, base, count, 0.5);
      const mad = this.medianAbsoluteDeviation(median, count);
      this.cached = mad === 0 ? Number.NaN : (MAD_SCALE * (this.valueAt(count - 1) - median)) / mad;
    }
  }

  /** Adds a value after its equals, in place of the evicted value when there is one. `admitted` already counts it. */
  private insert(value: number): void {
    const sorted = this.buffer;
    const base = this.capacity * 2;
    if (!this.hasEvicted) {
      const end = base + this.admitted - 1;
      const position = upperBound(sorted, base, end, value);
      moveValues(sorted, position, end, position + 1);
      sorted[position] = value;
      return;
    }

    this.hasEvicted = false;
    const end = base + this.admitted;
    const removed = lowerBound(sorted, base, end, this.evictedValue);
    const position = upperBound(sorted, base, end, value);
    if (position > removed) {
      // The values between slide down into the removed slot.
      moveValues(sorted, removed + 1, position, removed);
      sorted[position - 1] = value;
    } else {
      moveValues(sorted, position, removed, position + 1);
      sorted[position] = value;
    }
  }

  /** Removes one copy of `value` from the `length` sorted values. */
  private remove(value: number, length: number): void {
    const base = this.capacity * 2;
    const end = base + length;
    const position = lowerBound(this.buffer, base, end, value);
    moveValues(this.buffer, position + 1, end, position);
  }

  /**
   * Returns the median of |value - median|, interpolated as `quantileOfSorted`
   * does. The values at or below the median, read downwards, give ascending
   * deviations, and so do those at or above it, read upwards. `kthOfTwo`
   * finds the needed ranks of their union without building it.
   */
  private medianAbsoluteDeviation(median: number, count: number): number {
    const split = count >>> 1;
    const rank = 0.5 * (count - 1);
    const lower = Math.floor(rank);
    const upper = Math.min(lower + 1, count - 1);
    const weight = rank - lower;
    const lowerDeviation = this.kthOfTwo(lower, median, split, count);
    const upperDeviation = upper === lower ? lowerDeviation : this.kthOfTwo(upper, median, split, count);
    return lowerDeviation * (1 - weight) + upperDeviation * weight;
  }

  /**
   * Returns the k-th smallest (from 0) deviation, where the deviations are
   * below[i] = median - sorted[split - 1 - i] for i < split and
   * above[j] = sorted[split + j] - median for j < count - split, both
   * ascending. Binary search on how many of the k + 1 smallest come from `below`.
   */
  private kthOfTwo(k: number, median: number, split: number, count: number): number {
    const sorted = this.buffer;
    const middle = this.capacity * 2 + split;
    const aboveLength = count - split;
    let low = Math.max(0, k + 1 - aboveLength);
    let high = Math.min(split, k + 1);
    while (low < high) {
      const fromBelow = (low + high) >>> 1;
      const fromAbove = k + 1 - fromBelow;
      // below[fromBelow] < above[fromAbove - 1]: the k + 1 smallest take more from below.
      if (median - sorted[middle - 1 - fromBelow]! < sorted[middle + fromAbove - 1]! - median) low = fromBelow + 1;
      else high = fromBelow;
    }
    const fromAbove = k + 1 - low;
    const lastBelow = low > 0 ? median - sorted[middle - low]! : Number.NEGATIVE_INFINITY;
    const lastAbove = fromAbove > 0 ? sorted[middle + fromAbove - 1]! - median : Number.NEGATIVE_INFINITY;
    return Math.max(lastBelow, lastAbove);
  }
}

/** Returns the first index in [start, end) whose value is >= `value`, or `end`. */
function lowerBound(values: Float64Array, start: number, end: number, value: number): number {
  let low = start;
  let high = end;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Returns the first index in [start, end) whose value is > `value`, or `end`. */
function upperBound(values: Float64Array, start: number, end: number, value: number): number {
  let low = start;
  let high = end;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Moves values[start, end) to begin at `target`, like `copyWithin(target, start, end)`. */
function moveValues(values: Float64Array, start: number, end: number, target: number): void {
  const length = end - start;
  if (length > LOOP_MOVE_LIMIT) {
    values.copyWithin(target, start, end);
  } else if (target < start) {
    for (let index = 0; index < length; index++) values[target + index] = values[start + index]!;
  } else {
    for (let index = length - 1; index >= 0; index--) values[target + index] = values[start + index]!;
  }
}

/**
 * Returns the φ-quantile of the `count` ascending values from `values[start]`,
 * with linear interpolation between ranks as Prometheus's quantile_over_time:
 * NaN for a NaN φ, -Infinity below 0 and +Infinity above 1.
 */
function quantileOfSorted(values: Float64Array, start: number, count: number, phi: number): number {
  if (Number.isNaN(phi)) return Number.NaN;
  if (phi < 0) return Number.NEGATIVE_INFINITY;
  if (phi > 1) return Number.POSITIVE_INFINITY;
  const rank = phi * (count - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(lower + 1, count - 1);
  const weight = rank - lower;
  return values[start + lower]! * (1 - weight) + values[start + upper]! * weight;
}
