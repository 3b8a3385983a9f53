import { CompensatedSum } from './compensated-sum.js';
import { SampleRing } from './sample-ring.js';

/**
 * Relative error of the running sum above which `refresh` recomputes it from
 * the samples: 2^-40, about 1e-12, far below the 1e-9 that the tests allow
 * against the reference.
 */
const MAX_RELATIVE_ERROR = 2 ** -40;

/**
 * `sum` and `avg`: a running compensated sum, O(1) per sample.
 *
 * A plain running sum keeps the rounding error of every term it ever held, so
 * evicting a large sample (1e15) would leave an error of about its ulp (0.125)
 * in a small remaining sum. The compensated sum keeps that error near 2^-104
 * of the terms, and `refresh` recomputes the sum from the window when its
 * error bound still passes MAX_RELATIVE_ERROR of the sum (a sum that cancels
 * to nearly 0). The bound stays 0 for integer-valued samples, which never
 * trigger a recompute.
 */
export class SumWindow extends SampleRing {
  private readonly kind: 'sum' | 'avg';
  private readonly total = new CompensatedSum();

  constructor(kind: 'sum' | 'avg', rangeMs: number) {
    super(rangeMs);
    this.kind = kind;
  }

  protected admitNewest(): void {
    this.total.add(this.valueAt(this.admitted - 1));
  }

  protected admitLate(offset: number): void {
    this.total.add(this.valueAt(offset));
  }

  protected evictOldest(): void {
    // The last sample out leaves an exact 0, clearing any residue.
    if (this.admitted === 1) this.total.reset();
    else this.total.add(-this.valueAt(0));
  }

  protected refresh(): void {
    const count = this.admitted;
    if (count === 0) {
      this.cached = Number.NaN;
      return;
    }
    if (this.total.errorBound > MAX_RELATIVE_ERROR * Math.abs(this.total.hi)) {
      this.total.reset();
      for (let offset = 0; offset < count; offset++) this.total.add(this.valueAt(offset));
    }
    this.cached = this.kind === 'sum' ? this.total.hi : this.total.hi / count;
  }

}
