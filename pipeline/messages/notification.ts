import type { AlertEvent } from './alert-event.js';

/**
 * A request to deliver one alert transition to one receiver, published on the
 * notifications topic keyed by receiver so that each receiver sees its
 * notifications in order.
 */
export interface Notification {
  version: 1;
  /** The alert's idempotency key (see alert-event.ts) plus `:receiver`; the notifier delivers each key at most once. */
  idempotencyKey: string;
  receiver: string;
  alert: AlertEvent;
  /** Router time at which the notification was created (ms since epoch). */
  createdAt: number;
}
