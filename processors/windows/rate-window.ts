import { CompensatedSum } from './compensated-sum.js';
import { SampleRing } from './sample-ring.js';

/** Relative error of the running sum of increases above which `refresh` recomputes it; see SumWindow. */
const MAX_RELATIVE_ERROR = 2 ** -40;

/** Increase of a counter from `previous` to `current`: a decrease is a reset to 0, so `current` counts in full. */
function increase(previous: number, current: number): number {
  return current >= previous ? current - previous : current;
}

/**
 * `rate`: the per-second increase between the first and the last sample in
 * the window, counting a decrease as a counter reset, with no extrapolation.
 * A compensated running sum of the increases between neighbouring samples
 * makes it O(1) per sample: eviction subtracts the first increase, a late
 * sample replaces the increase across its gap with the two on either side.
 * The sum is recomputed from the window in the cases SumWindow describes.
 */
export class RateWindow extends SampleRing {
  private readonly increases = new CompensatedSum();

  protected admitNewest(): void {
    const count = this.admitted;
    if (count >= 2) this.increases.add(increase(this.valueAt(count - 2), this.valueAt(count - 1)));
  }

  protected admitLate(offset: number): void {
    // A late sample is never the newest, so a next sample exists.
    const value = this.valueAt(offset);
    const next = this.valueAt(offset + 1);
    if (offset === 0) {
      this.increases.add(increase(value, next));
      return;
    }
    const previous = this.valueAt(offset - 1);
    this.increases.add(-increase(previous, next));
    this.increases.add(increase(previous, value));
    this.increases.add(increase(value, next));
  }

  protected evictOldest(): void {
    // With two samples left the one increase goes, and the sum becomes exactly 0.
    if (this.admitted <= 2) this.increases.reset();
    else this.increases.add(-increase(this.valueAt(0), this.valueAt(1)));
  }

  protected refresh(): void {
    const count = this.admitted;
    const first = count < 2 ? 0 : this.timeAt(0);
    const last = count < 2 ? 0 : this.timeAt(count - 1);
    if (last <= first) {
      // Fewer than two samples, or all at one time.
      this.cached = Number.NaN;
      return;
    }
    if (this.increases.errorBound > MAX_RELATIVE_ERROR * Math.abs(this.increases.hi)) {
      this.increases.reset();
      for (let offset = 1; offset < count; offset++) this.increases.add(increase(this.valueAt(offset - 1), this.valueAt(offset)));
    }
    this.cached = this.increases.hi / ((last - first) / 1000);
  }

}
