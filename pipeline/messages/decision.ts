import { createHash } from 'node:crypto';
import type { AlertState } from './alert-event.js';

/**
 * Reasons an alert transition was or was not notified. The router decides the
 * first seven, and the notifier reports `rate_limited`, `delivered` and
 * `delivery_failed`.
 */
export const DECISION_REASONS = [
  /** Notified: this fingerprint was not notified in this state within repeat_interval. */
  'first_notification',
  /** Notified again: the alert still fires and repeat_interval passed since its last notification. */
  'repeat_interval_elapsed',
  /** Not notified: the same fingerprint and state was notified within repeat_interval, or the same transition arrived again. */
  'duplicate',
  /** Not notified: a silence matches the alert, and `silenceId` names it. */
  'silenced',
  /** Held: a blackout window of the route, named by `blackoutWindow`, is active. Firing alerts are notified when it ends. */
  'blackout_window',
  /** Not notified: a firing alert matching an inhibit rule's source suppresses it, and `inhibitedBy` is that alert's fingerprint. */
  'inhibited',
  /** Held: the alert changes state too often. One flapping notification is sent, then one when it settles. */
  'flapping',
  /** Not delivered: the receiver's rate limit had no free slot. */
  'rate_limited',
  /** Delivered by the receiver's channel. */
  'delivered',
  /** Delivery failed after the notifier's last attempt. */
  'delivery_failed',
] as const;

export type DecisionReason = (typeof DECISION_REASONS)[number];

/** Reasons under which the alert reached, or was handed towards, the receiver. */
export const NOTIFYING_REASONS: ReadonlySet<DecisionReason> = new Set(['first_notification', 'repeat_interval_elapsed', 'delivered']);

/**
 * One decision about one alert transition, published on the decisions topic
 * keyed by fingerprint and stored, so that an operator can look up afterwards
 * why an alert was or was not notified.
 */
export interface Decision {
  version: 1;
  /** Hash of every other field, so a replayed decision has the same id, which the stores deduplicate on. */
  id: string;
  /** Time of the decision, ms since epoch (router or notifier clock). */
  ts: number;
  fingerprint: string;
  /** Idempotency key of the transition (fingerprint:activeAt:state). */
  alertKey: string;
  state: AlertState;
  rule: string;
  agentId: string;
  reason: DecisionReason;
  /** Receiver of the route or notification, absent for decisions made before routing. */
  receiver?: string;
  groupKey?: string;
  /** Idempotency key of the notification that carried the alert, for notifying and delivery reasons. */
  notificationKey?: string;
  silenceId?: string;
  blackoutWindow?: string;
  /** Fingerprint of the firing alert that inhibited this one. */
  inhibitedBy?: string;
  /** A sentence for people: the silence's comment, the delivery error, the flapping count. */
  detail?: string;
}

export type DecisionFields = Omit<Decision, 'version' | 'id'>;

/** Builds a decision and its id, a hash of the fields, so that the same decision built twice is one row in the store. */
export function makeDecision(fields: DecisionFields): Decision {
  const hash = createHash('sha256');
  for (const key of Object.keys(fields).sort() as Array<keyof DecisionFields>) {
    const value = fields[key];
    if (value === undefined) continue;
    hash.update(key);
    hash.update('\u0000');
    hash.update(String(value));
    hash.update('\u0001');
  }
  return { version: 1, id: hash.digest('hex').slice(0, 24), ...fields };
}
