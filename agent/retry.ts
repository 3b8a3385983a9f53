/**
 * Ceiling of the wait before retry number `attempt` (0 for the first retry):
 * `initialMs * 2^attempt`, capped at `maxMs`.
 */
export function backoffCeilingMs(attempt: number, initialMs: number, maxMs: number): number {
  // 2^31 and more would overflow to Infinity long after any sane cap, so stop doubling early.
  const factor = 2 ** Math.min(attempt, 30);
  return Math.min(maxMs, initialMs * factor);
}

/**
 * Wait before retry number `attempt` with full jitter: uniform in
 * [0, backoffCeilingMs), so agents that failed together spread out.
 * `random` returns a number in [0, 1), as Math.random does.
 */
export function backoffDelayMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeilingMs(attempt, initialMs, maxMs));
}

/**
 * Parses a Retry-After header (RFC 9110 section 10.2.3): delay-seconds or an
 * HTTP date. Returns the wait in milliseconds from `nowMs` (0 for a date in
 * the past), or undefined when the header is missing or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();

  if (/^\d+$/.test(text)) return Number(text) * 1_000;

  // All three HTTP date formats name the month in letters; V8's Date.parse
  // would also read text such as "1.5" as a date.
  if (!/[a-z]/i.test(text)) return undefined;
  const dateMs = Date.parse(text);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}
