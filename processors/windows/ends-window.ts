import { SampleRing } from './sample-ring.js';

/** `count` and `delta`: read from the ends of the ring, O(1), with no aggregate to keep. */
export class EndsWindow extends SampleRing {
  private readonly kind: 'count' | 'delta';

  constructor(kind: 'count' | 'delta', rangeMs: number) {
    super(rangeMs);
    this.kind = kind;
  }

  protected admitNewest(): void {}

  protected admitLate(): void {}

  protected evictOldest(): void {}

  protected refresh(): void {
    const count = this.admitted;
    if (this.kind === 'count') this.cached = count === 0 ? Number.NaN : count;
    else this.cached = count < 2 ? Number.NaN : this.valueAt(count - 1) - this.valueAt(0);
  }

}
