import type { AlertEvent } from './alert-event.js';

/**
 * A request to deliver one group of alerts to one receiver, published on the
 * notifications topic keyed by receiver so that each receiver gets its
 * notifications in order. The router groups alerts by the route's
 * `group_by` labels. A group of one alert is the common case for rules
 * without grouping.
 */
export interface Notification {
  version: 1;
  /**
   * Idempotency key. The notifier skips a notification whose key it claimed
   * within its dedup_ttl, and releases the claim when delivery fails or is
   * rate limited so a redelivery tries again. The router hashes the group
   * key, the receiver, the group's notification sequence and the sorted
   * idempotency keys of the alerts the notification carries. So a replay
   * repeats the key, and a new notification of the group gets a new one.
   */
  idempotencyKey: string;
  receiver: string;
  /**
   * The group's first alert, the same as `alerts[0]`: the first one that
   * caused this notification. Channels render `alerts`. This field stays
   * because the topic decoder requires it, delivery records and dead letters
   * take their fingerprint from it, and channel modules and webhook
   * receivers written before grouping read it.
   */
  alert: AlertEvent;
  /*
   * The group fields are optional because notifications published before
   * routers grouped alerts lack them. Read them with `notificationAlerts`.
   */
  /** Every alert of the group that is not suppressed: the ones that caused the notification first, then the other firing ones. */
  alerts?: AlertEvent[];
  /** Group identifier: the route and the values of its group_by labels. */
  groupKey?: string;
  /** The group_by labels and their values shared by every alert of the group. */
  groupLabels?: Record<string, string>;
  /** `firing` when any alert of the group fires, else `resolved`. */
  status?: 'firing' | 'resolved';
  /** Router time at which the notification was created (ms since epoch). */
  createdAt: number;
}

/** Returns the alerts a notification carries: `alerts`, or `[alert]` for a notification without group fields. */
export function notificationAlerts(notification: Pick<Notification, 'alert' | 'alerts'>): AlertEvent[] {
  return notification.alerts && notification.alerts.length > 0 ? notification.alerts : [notification.alert];
}
