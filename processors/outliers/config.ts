import { z } from 'zod';
import { duration } from '../../pipeline/config/fields.js';

/**
 * Settings of the likelihood stage, which scores how unusual the recent rate
 * of large z-scores is against the series' own longer history (see
 * likelihood.ts). `false` turns it off, so the score rests on the z-score of
 * each sample alone.
 */
export const likelihoodConfigSchema = z
  .strictObject({
    /** Event-time window over which the per-sample evidence is averaged. */
    average: duration({ min: 1 }).prefault('50m'),
    /** Half-life of the exponentially weighted mean and variance of the averages. */
    half_life: duration({ min: 1 }).prefault('14d'),
    /** Min number of averages the history must have taken in before the stage scores. */
    min_samples: z.number().int().min(1).default(100),
    /**
     * |z| at which a sample starts to count as evidence, and |z| at which it
     * counts fully. The evidence rises linearly from 0 to 1 between them.
     */
    ramp: z
      .tuple([z.number().min(0), z.number().min(0)])
      .default([2, 5])
      .refine(([low, high]) => low < high, { message: 'ramp must be [low, high] with low < high' }),
    /** Floor of the history's standard deviation, so a perfectly quiet history does not turn any blip into a certainty. */
    min_stddev: z.number().positive().default(0.017),
  })
  .prefault({});

/**
 * Configuration of one outlier detector. Durations are text such as `30m` or
 * `3d12h`, parsed to milliseconds of event time.
 *
 * @example
 * const config = outlierConfigSchema.parse({ variant: 'robust', window: '1d', threshold: 0.7 });
 */
export const outlierConfigSchema = z
  .strictObject({
    /** `zscore`: mean and standard deviation over the window. `robust`: median and MAD. */
    variant: z.enum(['zscore', 'robust']).default('zscore'),
    /** Event-time length of the sliding window that the z-score is computed over. */
    window: duration({ min: 1 }).prefault('3d12h'),
    /**
     * `robust` only: the max ratio of the robust |z| to the classical |z| over
     * the same window. The MAD collapses when many samples share a value (a flat
     * baseline with bursts), which makes every excursion look extreme.
     */
    robust_cap: z.number().min(1).default(1.5),
    /** Min number of earlier samples the window must contain before a sample is scored. Until then samples score 0. */
    min_samples: z.number().int().min(2).default(30),
    /** Score at or above which a sample is an outlier, in (0, 1]. */
    threshold: z.number().gt(0).max(1).default(0.65),
    /** Event time after an outlier during which later samples score 0. `0s` turns it off. */
    suppress: duration({ min: 0 }).prefault('12h'),
    likelihood: z.union([z.literal(false), likelihoodConfigSchema]).prefault({}),
  })
  .prefault({});

/** A parsed configuration: durations in milliseconds, defaults filled in. */
export type OutlierConfig = z.output<typeof outlierConfigSchema>;
/** A configuration as written in a file, before parsing. */
export type OutlierConfigInput = z.input<typeof outlierConfigSchema>;
export type LikelihoodConfig = z.output<typeof likelihoodConfigSchema>;
export type OutlierVariant = OutlierConfig['variant'];
