import type { AlertEvent } from '../../pipeline/messages/alert-event.js';

/**
 * Text helpers shared by the channels. Lengths are counted in UTF-16 code
 * units (JavaScript's `length`), which is never less than the number of
 * Unicode code points, so text within a limit counted this way is within the
 * limit whichever of the two a receiving service counts.
 */

export const ELLIPSIS = '…';

/**
 * Shortens `text` to at most `max` UTF-16 code units, ending it with an
 * ellipsis when anything was cut. Never splits a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < ELLIPSIS.length) return '';
  return cutBefore(text, max - ELLIPSIS.length) + ELLIPSIS;
}

/**
 * Escapes `text` with `escape` and shortens the result to at most `max` UTF-16
 * code units, cutting the raw text before escaping so that no escape
 * sequence (such as `&amp;`) is split. Ends with an ellipsis when anything
 * was cut.
 */
export function truncateEscaped(text: string, max: number, escape: (text: string) => string): string {
  const whole = escape(text);
  if (whole.length <= max) return whole;
  if (max < ELLIPSIS.length) return '';

  const budget = max - ELLIPSIS.length;
  let result = '';
  for (const character of text) {
    const piece = escape(character);
    if (result.length + piece.length > budget) break;
    result += piece;
  }
  return result + ELLIPSIS;
}

/** Returns the longest prefix of `text` within `max` code units that ends on a whole code point. */
function cutBefore(text: string, max: number): string {
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  // A high surrogate at the end would be half of a pair.
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/** Returns the entries of `record` sorted by key, the order in which every channel shows labels and tags. */
export function pairs(record: Readonly<Record<string, string>>): Array<[string, string]> {
  // Keys of one object are unique, so the comparator never needs to return 0.
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1));
}

/**
 * Returns the annotations in reading order: `summary` and `description`, the
 * two that Prometheus alerting rules conventionally set, first, then the rest
 * by key.
 */
export function orderedAnnotations(annotations: Readonly<Record<string, string>>): Array<[string, string]> {
  const first = ['summary', 'description'];
  const head = first.filter((key) => key in annotations).map((key): [string, string] => [key, annotations[key]!]);
  const rest = pairs(annotations).filter(([key]) => !first.includes(key));
  return [...head, ...rest];
}

/** Returns the state word shown in titles: FIRING, RESOLVED and so on. */
export const stateTitle = (alert: Pick<AlertEvent, 'state'>): string => alert.state.toUpperCase();

/** Formats an alert's value without float noise such as 0.30000000000000004. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(12)));
}

/** Formats milliseconds since the epoch as an ISO 8601 UTC time without milliseconds when they are zero. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * Returns an emoji that shows state and severity at a glance in chat
 * messages. A firing alert gets a red, orange or blue circle for critical, warning and
 * info, a resolved one a check mark, and the states that are not normally
 * notified (pending, inactive) a white circle.
 */
export function stateEmoji(alert: Pick<AlertEvent, 'state' | 'severity'>): string {
  if (alert.state === 'resolved') return '✅';
  if (alert.state !== 'firing') return '⚪';
  switch (alert.severity) {
    case 'critical':
      return '🔴';
    case 'warning':
      return '🟠';
    case 'info':
      return '🔵';
  }
}
