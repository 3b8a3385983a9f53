/** How long to wait between attempts: exponential growth with full jitter. */
export interface BackoffPolicy {
  /** Ceiling of the wait before the first retry, in milliseconds. */
  initialDelayMs: number;
  /** Largest ceiling, in milliseconds. */
  maxDelayMs: number;
}

/**
 * Wait before retry number `retry` (1 for the first retry) with full jitter:
 * uniform in [0, min(maxDelayMs, initialDelayMs * 2^(retry - 1))), so that
 * writers which failed together spread out. `random` returns a number in
 * [0, 1), as Math.random does.
 */
export function fullJitterDelayMs(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  // 2^30 times any sane initial delay is past every cap, and larger powers would overflow.
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(Math.max(retry - 1, 0), 30));
  return Math.floor(random() * ceiling);
}

/**
 * Parses a Retry-After header (RFC 9110, section 10.2.3): delay-seconds or
 * an HTTP date. Returns the wait in milliseconds from `nowMs` (0 for a date in
 * the past), or undefined when the header is missing or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;

  // Every HTTP date format spells the month in letters, whereas Date.parse
  // would also accept text such as "1.5".
  if (!/[a-z]/i.test(text)) return undefined;
  const dateMs = Date.parse(text);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}
