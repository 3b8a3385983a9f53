import type { Bus, DeliveredRecord, Subscription } from '../pipeline/bus/bus.js';
import type { Logger } from '../pipeline/log/logger.js';
import { idempotencyKey } from '../pipeline/messages/alert-event.js';
import { type Decision, type DecisionReason, makeDecision } from '../pipeline/messages/decision.js';
import { type Notification, notificationAlerts } from '../pipeline/messages/notification.js';
import { decodeRecords } from '../pipeline/messages/decode-records.js';
import { DECISIONS } from '../pipeline/messages/topics.js';
import type { Store } from '../pipeline/store/store.js';
import type { DeliveryResult } from './notifier.js';

const REASONS: Partial<Record<DeliveryResult['outcome'], DecisionReason>> = {
  delivered: 'delivered',
  failed: 'delivery_failed',
  rate_limited: 'rate_limited',
};

/**
 * Builds the decisions of one delivery outcome, one per alert the notification
 * carries. A duplicate (the notifier delivered the key before) yields none,
 * because the first delivery already has its decisions.
 */
export function deliveryDecisions(notification: Notification, result: DeliveryResult): Decision[] {
  const reason = REASONS[result.outcome];
  if (!reason) return [];
  return notificationAlerts(notification).map((alert) => {
    const decision = makeDecision({
      ts: result.at,
      fingerprint: alert.fingerprint,
      alertKey: idempotencyKey(alert),
      state: alert.state,
      rule: alert.rule,
      agentId: alert.agentId,
      reason,
      receiver: notification.receiver,
      notificationKey: notification.idempotencyKey,
      ...(notification.groupKey !== undefined ? { groupKey: notification.groupKey } : {}),
      ...(result.error !== undefined ? { detail: result.error } : { detail: `${result.channel ?? 'channel'} after ${result.attempts} attempt(s)` }),
    });
    return decision;
  });
}

/** Publishes the decisions of a delivery outcome to the decisions topic, keyed by fingerprint. */
export function publishDeliveryDecisions(bus: Bus, topic: string) {
  return async (notification: Notification, result: DeliveryResult): Promise<void> => {
    const decisions = deliveryDecisions(notification, result);
    if (decisions.length === 0) return;
    await bus.publish(topic, decisions.map((decision) => ({ key: decision.fingerprint, value: JSON.stringify(decision) })));
  };
}

export interface DecisionSinkDeps {
  bus: Bus;
  store: Pick<Store, 'writeDecisions'>;
  topic: string;
  group: string;
  logger: Logger;
}

/**
 * Writes every decision on the decisions topic to the store. The handler
 * resolves after the write, so the bus commits only stored decisions. A
 * replay writes the same ids again, which the stores deduplicate.
 */
export function startDecisionSink(deps: DecisionSinkDeps): Promise<Subscription> {
  return deps.bus.subscribe({
    topic: deps.topic,
    group: deps.group,
    handle: async (records: readonly DeliveredRecord[]) => {
      const decisions = decodeRecords(DECISIONS, records, deps.logger);
      if (decisions.length > 0) await deps.store.writeDecisions(decisions);
    },
  });
}
