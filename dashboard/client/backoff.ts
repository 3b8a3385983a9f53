/** First reconnect delay, in ms. */
export const RECONNECT_INITIAL_MS = 1_000;
/** Maximum reconnect delay, in ms. */
export const RECONNECT_MAX_MS = 30_000;

/**
 * Returns the delay in ms before reconnect attempt `attempt` (0 for the
 * first). The delay backs off exponentially from 1 s to 30 s with "equal
 * jitter": half of it is fixed and half random, so that pages that lost a
 * restarting server do not all reconnect at the same moment.
 *
 * ```ts
 * setTimeout(connect, reconnectDelay(failures++, Math.random()));
 * ```
 *
 * @param random a number in [0, 1), such as Math.random()
 */
export function reconnectDelay(attempt: number, random: number): number {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_INITIAL_MS * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1));
}
