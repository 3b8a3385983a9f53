import { createWindow, type SlidingWindow } from '../windows/index.js';
import type { LikelihoodConfig } from './config.js';
import { log10UpperTail } from './normal.js';

/**
 * The likelihood stage, after the anomaly likelihood of Numenta's detectors
 * (`AnomalyLikelihood` in nupic's anomaly_likelihood.py, which NAB's numenta
 * detector uses). It measures how unusual the recent amount of evidence is
 * for this series, not how large one z-score is.
 *
 * Per sample:
 * 1. evidence e = clamp((|z| - low) / (high - low), 0, 1) from the `ramp`;
 * 2. a = mean of e over the `average` window of event time;
 * 3. the surprise is -log10 P(A >= a) under a normal distribution with the
 *    exponentially weighted mean and variance of earlier averages (half-life
 *    `half_life` of event time, standard deviation at least `min_stddev`);
 * 4. a joins that mean and variance.
 *
 * A series whose z-scores are often large (bursty counts) thus needs more
 * evidence than a quiet one. By default nupic's AnomalyLikelihood re-estimates
 * its Gaussian from the last 8640 scores every 100 samples. The weighted
 * moments here keep three numbers instead of a window of history, and they
 * update at every sample.
 *
 * Memory: the `average` window (16 bytes per sample in it) and a few numbers.
 */
export class LikelihoodStage {
  private readonly low: number;
  private readonly high: number;
  private readonly halfLifeMs: number;
  private readonly minSamples: number;
  private readonly minStddev: number;
  private readonly average: SlidingWindow;
  private mean = 0;
  private variance = 0;
  /** Number of averages taken into the mean and variance. */
  private count = 0;
  private lastTs = Number.NEGATIVE_INFINITY;

  constructor(config: LikelihoodConfig) {
    [this.low, this.high] = config.ramp;
    this.halfLifeMs = config.half_life;
    this.minSamples = config.min_samples;
    this.minStddev = config.min_stddev;
    this.average = createWindow({ fn: 'avg', rangeMs: config.average });
  }

  /**
   * Takes the |z| of a sample at `ts`, which must not be older than the
   * previous one, and returns the surprise -log10 P(A >= a) of the average:
   * 0 while fewer than `min_samples` averages were seen, and 0.30 (a
   * probability of 1/2) for an average equal to the history's mean.
   */
  update(ts: number, absZscore: number): number {
    const evidence = Math.min(1, Math.max(0, (absZscore - this.low) / (this.high - this.low)));
    this.average.add(ts, evidence);
    this.average.advance(ts);
    const average = this.average.value();

    let surprise = 0;
    if (this.count >= this.minSamples) {
      const stddev = Math.max(this.minStddev, Math.sqrt(this.variance));
      surprise = -log10UpperTail((average - this.mean) / stddev);
    }
    this.learn(ts, average);
    return surprise;
  }

  /** Number of samples in the average window, for memory accounting. */
  get size(): number {
    return this.average.size;
  }

  /**
   * Moves the weighted mean and variance towards `average`. A sample Δt after
   * the previous one gets weight 1 - 2^(-Δt / half-life), so samples of equal
   * time after the first add nothing.
   */
  private learn(ts: number, average: number): void {
    if (this.count === 0) {
      this.mean = average;
      this.variance = 0;
    } else {
      const weight = 1 - 2 ** (-(ts - this.lastTs) / this.halfLifeMs);
      const deviation = average - this.mean;
      this.mean += weight * deviation;
      this.variance = (1 - weight) * (this.variance + weight * deviation * deviation);
    }
    this.count++;
    this.lastTs = ts;
  }
}
