/**
 * The time source every component takes instead of calling Date.now() or
 * setTimeout() directly, so that a test of a 3-minute duration runs in
 * milliseconds with a ManualClock.
 *
 * ```ts
 * const clock = systemClock;
 * const timer = clock.setTimeout(() => flush(), 1_000);
 * await clock.sleep(250);
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;

  /** Schedules `callback` once, `delayMs` from now. */
  setTimeout(callback: () => void, delayMs: number): Timer;

  /**
   * Resolves after `delayMs`, or rejects with the signal's reason when the
   * signal aborts first.
   */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

/** A scheduled callback that has not run yet. */
export interface Timer {
  /** Cancels the callback; does nothing once it has run. */
  cancel(): void;

  /** Lets the process exit while this timer is pending (system clock only). */
  unref(): Timer;
}

class SystemTimer implements Timer {
  constructor(private readonly handle: NodeJS.Timeout) {}

  cancel(): void {
    clearTimeout(this.handle);
  }

  unref(): Timer {
    this.handle.unref();
    return this;
  }
}

/** Wall-clock time and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),

  setTimeout: (callback, delayMs) => new SystemTimer(setTimeout(callback, delayMs)),

  sleep: (delayMs, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(handle);
        reject(signal?.reason);
      };
      const handle = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delayMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
