import { CompensatedSum, squaredDeviations } from './compensated-sum.js';
import { SampleRing } from './sample-ring.js';

/**
 * Largest accepted (mean - shift)^2 / variance: 2^32, so the shift is within
 * 65,536 standard deviations of the mean. Rounding each `value - shift` then
 * moves the variance by at most about 2^-53 * 2 * 65,536 = 2^-36 of itself.
 */
const MAX_SHIFT_RATIO = 2 ** 32;

/** Largest accepted error bound of the sum of squared deviations, relative to it: 2^-32, about 2.3e-10. */
const MAX_RELATIVE_ERROR = 2 ** -32;

/** Error of `squaredDeviations` relative to the sum of squares it starts from, with a margin over 2^-104. */
const FORMULA_ERROR = 2 ** -100;

/**
 * `stddev` and `zscore`: running compensated sums of `value - shift` and of
 * its square, O(1) per sample, where `shift` is a sample value from the
 * window.
 *
 * Why not Welford's add and remove: its running mean and M2 are plain
 * doubles, so removing an outlier leaves the outlier's rounding error in a
 * small remaining variance, and the error of a long run only grows. Here the
 * sums are double-double (see CompensatedSum), and the shift keeps the sum of
 * squares near n * variance, so subtracting (sum)^2 / n cancels few digits.
 *
 * `refresh` recomputes both sums from the window, with the newest sample as
 * the new shift, when the mean has moved more than 65,536 standard deviations
 * from the shift or the error bound passes 2^-32 of the result. That happens
 * after a level shift or once the spread collapses (an outlier leaves, the
 * samples become all equal), at O(n) each time. A window of equal samples
 * then has sums of exactly 0, so its standard deviation is exactly 0 and its
 * z-score NaN.
 *
 * NOTE: a sequence built to collapse the spread at every sample (values that
 * shrink geometrically, for example) makes every `value` call O(n).
 */
export class MomentWindow extends SampleRing {
  private readonly kind: 'stddev' | 'zscore';
  private shift = 0;
  /** Sum of `value - shift` over the window. */
  private readonly deviations = new CompensatedSum();
  /** Sum of `(value - shift)^2` over the window. */
  private readonly squares = new CompensatedSum();

  constructor(kind: 'stddev' | 'zscore', rangeMs: number) {
    super(rangeMs);
    this.kind = kind;
  }

  protected admitNewest(): void {
    if (this.admitted === 1) {
      // The first sample becomes the shift, so it adds exactly 0 to both sums.
      this.shift = this.valueAt(0);
      this.deviations.reset();
      this.squares.reset();
      return;
    }
    this.include(this.valueAt(this.admitted - 1));
  }

  protected admitLate(offset: number): void {
    this.include(this.valueAt(offset));
  }

  protected evictOldest(): void {
    if (this.admitted === 1) {
      this.deviations.reset();
      this.squares.reset();
      return;
    }
    const deviation = this.valueAt(0) - this.shift;
    this.deviations.add(-deviation);
    this.squares.addSquare(deviation, -1);
  }

  protected refresh(): void {
    const count = this.admitted;
    if (count < 2) {
      this.cached = count === 1 && this.kind === 'stddev' ? 0 : Number.NaN;
      return;
    }

    let squared = squaredDeviations(this.deviations, this.squares, count);
    if (this.needsRebase(squared, count)) {
      this.rebase();
      squared = squaredDeviations(this.deviations, this.squares, count);
    }
    const deviation = Math.sqrt(Math.max(squared, 0) / count);
    if (this.kind === 'stddev') {
      this.cached = deviation;
    } else if (deviation === 0) {
      this.cached = Number.NaN;
    } else {
      const offset = this.deviations.hi / count;
      this.cached = (this.valueAt(count - 1) - this.shift - offset) / deviation;
    }
  }


  private include(value: number): void {
    const deviation = value - this.shift;
    this.deviations.add(deviation);
    this.squares.addSquare(deviation, 1);
  }

  /** Tells whether `squared` (n * variance) may be off by more than MAX_RELATIVE_ERROR, or the shift is too far from the mean. */
  private needsRebase(squared: number, count: number): boolean {
    const offset = this.deviations.hi / count;
    const errorBound = this.squares.errorBound + 2 * Math.abs(offset) * this.deviations.errorBound + FORMULA_ERROR * Math.abs(this.squares.hi);
    return squared < 0 || errorBound > MAX_RELATIVE_ERROR * squared || offset * offset * count > MAX_SHIFT_RATIO * squared;
  }

  /** Recomputes both sums over the window around the newest sample. */
  private rebase(): void {
    const count = this.admitted;
    this.shift = this.valueAt(count - 1);
    this.deviations.reset();
    this.squares.reset();
    for (let offset = 0; offset < count; offset++) this.include(this.valueAt(offset));
  }
}
