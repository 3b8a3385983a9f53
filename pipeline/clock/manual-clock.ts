import type { Clock, Timer } from './clock.js';

interface PendingTimer {
  readonly dueAt: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. Timers run in due-time order (ties in
 * scheduling order) while `advance` or `set` walks past them, and each timer
 * sees `now()` equal to its own due time.
 *
 * ```ts
 * const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
 * engine.start(clock);
 * await clock.advance(3 * 60_000); // three minutes, in microseconds of real time
 * ```
 */
export class ManualClock implements Clock {
  private current: number;
  private sequence = 0;
  private pending: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): Timer {
    const timer: PendingTimer = {
      dueAt: this.current + Math.max(0, delayMs),
      order: this.sequence++,
      callback,
      cancelled: false,
    };
    this.pending.push(timer);
    const handle: Timer = {
      cancel: () => {
        timer.cancelled = true;
      },
      unref: () => handle,
    };
    return handle;
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = this.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delayMs);
      const onAbort = (): void => {
        timer.cancel();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Moves time forward by `deltaMs`, running every timer that falls due on
   * the way. Between timers it yields to the event loop so that promise
   * chains woken by one timer (a sleep that resolves, say) can schedule the
   * next before time moves on.
   */
  async advance(deltaMs: number): Promise<void> {
    if (deltaMs < 0) throw new RangeError(`ManualClock cannot move backwards (advance by ${deltaMs} ms)`);
    await this.set(this.current + deltaMs);
  }

  /** Moves time forward to `targetMs`; see `advance`. */
  async set(targetMs: number): Promise<void> {
    if (targetMs < this.current) {
      throw new RangeError(`ManualClock cannot move backwards (from ${this.current} to ${targetMs})`);
    }
    await settle();

    for (;;) {
      const next = this.nextDue(targetMs);
      if (next === undefined) break;

      this.pending = this.pending.filter((timer) => timer !== next);
      this.current = next.dueAt;
      next.callback();
      await settle();
    }

    this.current = targetMs;
    await settle();
  }

  /** Number of timers scheduled and not yet run or cancelled. */
  get pendingTimers(): number {
    return this.pending.filter((timer) => !timer.cancelled).length;
  }

  private nextDue(limitMs: number): PendingTimer | undefined {
    this.pending = this.pending.filter((timer) => !timer.cancelled);
    let next: PendingTimer | undefined;
    for (const timer of this.pending) {
      if (timer.dueAt > limitMs) continue;
      if (next === undefined || timer.dueAt < next.dueAt || (timer.dueAt === next.dueAt && timer.order < next.order)) {
        next = timer;
      }
    }
    return next;
  }
}

/** Lets queued microtasks and already-due macrotasks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
