import type { Notification } from './notification.js';

/**
 * A notification that the notifier gave up on, published on the dead-letters
 * topic keyed by receiver, so that an operator can inspect it and publish it
 * to the notifications topic again once the receiver works. Its
 * DeliveryRecord is stored as well.
 */
export interface DeadLetter {
  version: 1;
  notification: Notification;
  /** `failed` after the last attempt, or `rate_limited` without any attempt. */
  outcome: 'failed' | 'rate_limited';
  /** Reason the notification was not delivered, free of secrets like every channel error. */
  error: string;
  /** Delivery attempts made, 0 when rate limited or the receiver is unknown. */
  attempts: number;
  /** Notifier time at which it gave up (ms since epoch). */
  failedAt: number;
}
