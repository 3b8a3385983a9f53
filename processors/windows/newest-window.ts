import { SampleRing } from './sample-ring.js';

/**
 * `last` and `absent`: both need only the newest sample in the window, since
 * it is the last to leave. Older admitted samples are dropped as soon as a
 * newer one joins, so the window keeps at most one admitted sample plus those
 * waiting for an `advance`. This matters for a selector-less `absent(w)`,
 * which sees every sample of an agent.
 */
export class NewestWindow extends SampleRing {
  private readonly kind: 'last' | 'absent';

  constructor(kind: 'last' | 'absent', rangeMs: number) {
    super(rangeMs);
    this.kind = kind;
  }

  protected admitNewest(): void {
    this.discardOldest(this.admitted - 1);
  }

  protected admitLate(): void {
    // A late sample sits before the newest admitted one, so it goes with the rest.
    this.discardOldest(this.admitted - 1);
  }

  protected evictOldest(): void {}

  protected refresh(): void {
    if (this.kind === 'absent') this.cached = this.admitted === 0 ? 1 : 0;
    else this.cached = this.admitted === 0 ? Number.NaN : this.valueAt(this.admitted - 1);
  }

}
