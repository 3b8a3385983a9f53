import type { WindowFunction } from '../../grammar/functions.js';
import { EndsWindow } from './ends-window.js';
import { ExtremumWindow } from './extremum-window.js';
import { MomentWindow } from './moment-window.js';
import { NewestWindow } from './newest-window.js';
import { OrderWindow } from './order-window.js';
import { RateWindow } from './rate-window.js';
import { SumWindow } from './sum-window.js';

/**
 * The aggregates a window computes: the condition language's window functions
 * and `robust_zscore`, 0.6745 * (latest - median) / MAD over the window, for
 * outlier detection. The language has no name for `robust_zscore` yet.
 */
export type WindowKind = WindowFunction | 'robust_zscore';

/** The function and range of a window. The rule compiler's `WindowSpec` fits this shape. */
export interface WindowOptions {
  fn: WindowKind;
  /** Length of the window in milliseconds of event time, greater than 0. */
  rangeMs: number;
  /** The quantile's φ; required for `quantile`, ignored otherwise. */
  param?: number;
}

/**
 * An event-time sliding window over one series: the aggregate of the samples
 * with time in (now - range, now], where `now` is the time of the last
 * `advance`, kept up to date as samples arrive and leave.
 *
 * Times are milliseconds since the epoch. Samples with equal times count in
 * the order they were added.
 *
 * @example
 * const window = createWindow({ fn: 'avg', rangeMs: 300_000 });
 * window.add(sample.ts, sample.value);
 * window.advance(sample.ts);
 * if (window.value() > 80) fire();
 */
export interface SlidingWindow {
  /**
   * Adds a sample. A sample older than the newest one held is inserted in time
   * order. Returns false, and keeps nothing, when the sample is at or before
   * the current window start (now - range), so the caller can count it as too
   * late. A sample after `now` is held and joins the window at the `advance`
   * that reaches its time. Throws RangeError when `ts` or `value` is not finite.
   */
  add(ts: number, value: number): boolean;
  /**
   * Moves the window to end at `now`: admits held samples with time <= now and
   * drops samples with time <= now - range. A `now` at or before the current
   * one changes nothing, because dropped samples are gone. Throws RangeError
   * when `now` is not finite.
   */
  advance(now: number): void;
  /**
   * The aggregate over (now - range, now] as of the last `add` or `advance`.
   * NaN when the window holds too few samples (see `aggregateWindow` in
   * grammar/window-reference.ts); for `absent`, 1 when the window is empty and 0 otherwise.
   */
  value(): number;
  /** Samples held, including those after `now` that wait for an `advance`; for memory accounting. */
  readonly size: number;
}

/**
 * Creates an empty window. Throws RangeError when `rangeMs` is not a finite
 * number greater than 0 or a `quantile` window has no φ.
 */
export function createWindow(options: WindowOptions): SlidingWindow {
  const { fn, rangeMs, param } = options;
  if (!Number.isFinite(rangeMs) || rangeMs <= 0) {
    throw new RangeError(`invalid window range ${rangeMs}: it must be a finite number of milliseconds greater than 0`);
  }

  switch (fn) {
    case 'avg':
    case 'sum':
      return new SumWindow(fn, rangeMs);
    case 'stddev':
    case 'zscore':
      return new MomentWindow(fn, rangeMs);
    case 'min':
    case 'max':
      return new ExtremumWindow(fn, rangeMs);
    case 'rate':
      return new RateWindow(rangeMs);
    case 'count':
    case 'delta':
      return new EndsWindow(fn, rangeMs);
    case 'last':
    case 'absent':
      return new NewestWindow(fn, rangeMs);
    case 'quantile':
      if (typeof param !== 'number') throw new RangeError('a quantile window needs its φ as `param`, a number from 0 to 1');
      return new OrderWindow(fn, rangeMs, param);
    case 'robust_zscore':
      return new OrderWindow(fn, rangeMs, 0.5);
    default:
      throw new RangeError(`unknown window function ${String(fn)}`);
  }
}
