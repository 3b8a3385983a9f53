import { z } from 'zod';
import { duration } from '../pipeline/config/fields.js';

/**
 * A receiver's rate limit: at most `max` notifications in any window of
 * length `per`. A notification over the limit waits for the next free slot
 * when that comes within `max_wait`, and is recorded as `rate_limited`
 * otherwise.
 *
 * ```yaml
 * rate_limit: { max: 30, per: 1m, max_wait: 30s }
 * ```
 */
export const rateLimitSchema = z.strictObject({
  max: z.number().int().min(1),
  per: duration({ min: 1 }),
  /** Maximum wait for a free slot; 0 drops every notification over the limit at once. */
  max_wait: duration({ min: 0 }).prefault('30s'),
});

export type RateLimitConfig = z.output<typeof rateLimitSchema>;

/**
 * A sliding-window log: the start times of the last `max` notifications.
 * A slot is free when fewer than `max` of them lie within the last `per`
 * milliseconds, so no window of that length ever contains more than `max`.
 * Memory is bounded by `max` timestamps.
 */
export class SlidingWindowLimiter {
  /** Times slots were taken, oldest first; never more than `max`. */
  private readonly taken: number[] = [];

  constructor(
    readonly max: number,
    readonly perMs: number,
  ) {}

  /** Milliseconds from `nowMs` until a slot is free; 0 when one is free now. */
  waitMs(nowMs: number): number {
    this.forget(nowMs);
    if (this.taken.length < this.max) return 0;
    // The oldest of `max` slots frees when it leaves the window.
    return this.taken[0]! + this.perMs - nowMs;
  }

  /** Takes a slot at `nowMs`; the caller checked that waitMs returned 0. */
  take(nowMs: number): void {
    this.forget(nowMs);
    this.taken.push(nowMs);
    if (this.taken.length > this.max) this.taken.shift();
  }

  private forget(nowMs: number): void {
    while (this.taken.length > 0 && this.taken[0]! + this.perMs <= nowMs) this.taken.shift();
  }
}
