import type { Clock } from '../clock/index.js';

/**
 * Rate-limits one kind of log line: at most one line per window, carrying
 * the number of events since the previous line.
 *
 * ```ts
 * const throttle = new LogThrottle(clock, 60_000);
 * const count = throttle.record(dropped);
 * if (count !== undefined) log.warn({ dropped: count }, 'buffer full; dropped the oldest samples');
 * ```
 */
export class LogThrottle {
  private pending = 0;
  private lastLoggedAt: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  /**
   * Adds `count` events. Returns the events accumulated since the last line
   * when a line is due now, or undefined while the window is still open.
   */
  record(count = 1): number | undefined {
    this.pending += count;
    const now = this.clock.now();
    if (this.lastLoggedAt !== undefined && now - this.lastLoggedAt < this.windowMs) return undefined;

    this.lastLoggedAt = now;
    const total = this.pending;
    this.pending = 0;
    return total;
  }

  /** Adds `count` events and returns the events accumulated since the last line, starting a new window now. */
  recordNow(count = 1): number {
    this.pending += count;
    this.lastLoggedAt = this.clock.now();
    const total = this.pending;
    this.pending = 0;
    return total;
  }

  /** Returns and clears the events not yet reported in a line, such as at shutdown. */
  drain(): number {
    const total = this.pending;
    this.pending = 0;
    return total;
  }
}
