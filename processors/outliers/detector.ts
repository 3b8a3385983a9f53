import { createWindow, type SlidingWindow } from '../windows/index.js';
import { outlierConfigSchema, type OutlierConfig, type OutlierConfigInput, type OutlierVariant } from './config.js';
import { LikelihoodStage } from './likelihood.js';
import { log10UpperTail } from './normal.js';

/** The result for one sample, in the shape stored with the outlier history. */
export interface OutlierEvent {
  /** Event time of the sample, in milliseconds since the epoch. */
  ts: number;
  value: number;
  /** Anomaly score in [0, 1). At or above the detector's threshold the sample is an outlier. */
  score: number;
  /** The sample's z-score against the window, or NaN when the sample was not scored. */
  zscore: number;
  variant: OutlierVariant;
}

/** Max |z-score| reported. A value that differs from a window of equal samples has an infinite one. */
export const MAX_ABS_ZSCORE = 1e6;

/** Surprise, in decimal digits of tail probability, at which the score is 0.5. */
const SURPRISE_SCALE = 10;

const LOG10_2 = Math.log10(2);

/**
 * A streaming outlier detector over one series. Each sample gets the z-score
 * of its value against an event-time sliding window of the series, and a
 * score in [0, 1) that grows with how improbable the sample is:
 *
 * - the surprise of the z-score, -log10 P(|Z| >= |z|) for a standard normal Z;
 * - with the likelihood stage on, the larger of that and the stage's surprise
 *   (see LikelihoodStage);
 * - score = surprise / (surprise + 10), so 0.5 is a tail probability of 1e-10;
 * - after an outlier (score >= threshold), samples within `suppress` of event
 *   time score 0, so one incident yields one outlier.
 *
 * Variants: `zscore` uses the window's mean and standard deviation, without
 * the sample itself (derived from the window's z-score, which includes it).
 * `robust` uses 0.6745 * (value - median) / MAD over the window, sample
 * included, with |z| at most `robust_cap` times the `zscore` of a second
 * window over the same range. When more than half of the window equals its
 * median, the MAD is 0 and `robust` uses that `zscore` alone.
 *
 * Cost per sample: amortized O(1) for `zscore`. `robust` keeps the window's
 * values sorted: an O(log n) search plus a move of the values between the old
 * and new positions, which is O(n) in the worst case but one memmove.
 *
 * Samples should arrive in event-time order. A sample older than the newest
 * one joins the windows but is not scored (score 0, z-score NaN), because a
 * window computes the z-score of its newest sample. A sample older than the
 * window is dropped.
 *
 * @example
 * const detector = createOutlierDetector({ variant: 'robust', window: '1d' });
 * const event = detector.update(sample.ts, sample.value);
 * if (detector.isOutlier(event)) store.writeOutlier(event);
 */
export class OutlierDetector {
  readonly config: OutlierConfig;
  private readonly window: SlidingWindow;
  /** For `robust`: a `zscore` window over the same range, for the cap and for a MAD of 0. */
  private readonly fallback: SlidingWindow | undefined;
  private readonly likelihood: LikelihoodStage | undefined;
  private newestTs = Number.NEGATIVE_INFINITY;
  /** Event time before which scores are suppressed after an outlier. */
  private suppressedUntil = Number.NEGATIVE_INFINITY;

  /** Takes a parsed configuration; `createOutlierDetector` parses one as written. */
  constructor(config: OutlierConfig) {
    this.config = config;
    const rangeMs = config.window;
    if (config.variant === 'robust') {
      this.window = createWindow({ fn: 'robust_zscore', rangeMs });
      this.fallback = createWindow({ fn: 'zscore', rangeMs });
    } else {
      this.window = createWindow({ fn: 'zscore', rangeMs });
    }
    this.likelihood = config.likelihood === false ? undefined : new LikelihoodStage(config.likelihood);
  }

  /**
   * Adds a sample and returns its event. Throws RangeError when `ts` or
   * `value` is not finite.
   */
  update(ts: number, value: number): OutlierEvent {
    if (!Number.isFinite(ts) || !Number.isFinite(value)) {
      throw new RangeError(`invalid sample (${ts}, ${value}): the time and the value must be finite numbers`);
    }
    const late = ts < this.newestTs;
    this.addToWindows(ts, value);
    if (late) return this.event(ts, value, 0, Number.NaN);
    this.newestTs = ts;

    // Every held sample is at or before ts, so `size` counts exactly the window.
    if (this.window.size - 1 < this.config.min_samples) return this.event(ts, value, 0, Number.NaN);

    const zscore = this.zscore();
    // The tail approximation gives about 1e-8 above 1 at z = 0, so the floor keeps equal samples at score 0.
    let surprise = Math.max(0, -(log10UpperTail(Math.abs(zscore)) + LOG10_2));
    if (this.likelihood) surprise = Math.max(surprise, this.likelihood.update(ts, Math.abs(zscore)));
    let score = surprise / (surprise + SURPRISE_SCALE);

    if (ts < this.suppressedUntil) {
      score = 0;
    } else if (score >= this.config.threshold && this.config.suppress > 0) {
      this.suppressedUntil = ts + this.config.suppress;
    }
    return this.event(ts, value, score, zscore);
  }

  /** Returns whether an event of this detector is an outlier, that is, its score is at or above the threshold. */
  isOutlier(event: OutlierEvent): boolean {
    return event.score >= this.config.threshold;
  }

  /** Number of samples in the detector's windows, for memory accounting. */
  get size(): number {
    return this.window.size + (this.fallback?.size ?? 0) + (this.likelihood?.size ?? 0);
  }

  private addToWindows(ts: number, value: number): void {
    this.window.add(ts, value);
    this.window.advance(ts);
    this.fallback?.add(ts, value);
    this.fallback?.advance(ts);
  }

  /** Returns the newest sample's z-score, clamped to ±MAX_ABS_ZSCORE, or 0 when the window's spread is 0. */
  private zscore(): number {
    if (this.fallback === undefined) return leaveOneOut(this.window);
    const classical = leaveOneOut(this.fallback);
    const robust = this.window.value();
    if (Number.isNaN(robust)) return classical;
    const capped = Math.min(Math.abs(robust), this.config.robust_cap * Math.abs(classical), MAX_ABS_ZSCORE);
    return Math.sign(robust) * capped;
  }

  private event(ts: number, value: number, score: number, zscore: number): OutlierEvent {
    return { ts, value, score, zscore, variant: this.config.variant };
  }
}

/**
 * Returns the z-score of a `zscore` window's newest sample against the other
 * samples of the window.
 *
 * With n samples and t the z-score of the newest one against all n
 * (population standard deviation), the z-score u against the other n - 1 is
 * u = t * sqrt(n / (n - 1 - t^2)), and |t| never exceeds sqrt(n - 1). The bound
 * is reached exactly when the other samples are all equal and the newest differs,
 * where u is infinite and is clamped. Returns 0 when all n samples are equal.
 */
function leaveOneOut(window: SlidingWindow): number {
  const t = window.value();
  if (Number.isNaN(t)) return 0;
  const n = window.size;
  const room = n - 1 - t * t;
  // The window's z-score is accurate to about 1e-9 relative, so a smaller room is rounding.
  if (room <= 1e-9 * n) return t > 0 ? MAX_ABS_ZSCORE : -MAX_ABS_ZSCORE;
  return Math.max(-MAX_ABS_ZSCORE, Math.min(MAX_ABS_ZSCORE, t * Math.sqrt(n / room)));
}

/**
 * Creates a detector from a configuration as written (durations as text).
 * Omitted fields take their defaults. Throws a ZodError for an invalid one.
 */
export function createOutlierDetector(input: OutlierConfigInput = {}): OutlierDetector {
  return new OutlierDetector(outlierConfigSchema.parse(input));
}
