import type { Bus, Subscription } from '../pipeline/bus/bus.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { DeadLetter } from '../pipeline/messages/dead-letter.js';
import type { Notification } from '../pipeline/messages/notification.js';
import { decodeRecords } from '../pipeline/messages/decode-records.js';
import { ALERTS, DEAD_LETTERS, METRICS, NOTIFICATIONS } from '../pipeline/messages/topics.js';
import type { Store } from '../pipeline/store/store.js';
import type { DeliveryResult, Notifier } from './notifier.js';

export interface SinkRoleDeps {
  bus: Bus;
  store: Store;
  notifier: Notifier;
  topics: { metrics: string; alerts: string; notifications: string; deadLetters: string };
  groups: { metrics: string; alerts: string; notifications: string; deadLetters: string };
  logger: Logger;
  /** Callback for each delivery outcome, run before its offset commits. The pipeline publishes the outcome's decisions here. */
  onDeliveryResult?: (notification: Notification, result: DeliveryResult) => Promise<void>;
}

/**
 * Starts the sink role: every sample and alert transition goes to the store,
 * every notification to its receiver. A notification that failed after its
 * last attempt or was rate limited goes to the dead-letters topic, after its
 * delivery record. Each handler resolves only after the store write, the delivery and
 * any dead-letter publish finished, so the bus commits nothing that could
 * still be lost.
 */
export async function startSinkRole(deps: SinkRoleDeps): Promise<Subscription[]> {
  const { bus, store, notifier, logger } = deps;

  const metrics = await bus.subscribe({
    topic: deps.topics.metrics,
    group: deps.groups.metrics,
    handle: async (records) => {
      const batches = decodeRecords(METRICS, records, logger);
      if (batches.length > 0) await store.writeSamples(batches);
    },
  });

  const alerts = await bus.subscribe({
    topic: deps.topics.alerts,
    group: deps.groups.alerts,
    handle: async (records) => {
      const events = decodeRecords(ALERTS, records, logger);
      if (events.length > 0) await store.writeAlerts(events);
    },
  });

  // Notifications of one receiver share a partition, so delivering them one
  // after another keeps each receiver's order.
  const notifications = await bus.subscribe({
    topic: deps.topics.notifications,
    group: deps.groups.notifications,
    handle: async (records) => {
      for (const notification of decodeRecords(NOTIFICATIONS, records, logger)) {
        const result = await notifier.deliverWithResult(notification);
        await deps.onDeliveryResult?.(notification, result);
        const letter = deadLetter(notification, result);
        if (letter) await bus.publish(deps.topics.deadLetters, [{ key: notification.receiver, value: JSON.stringify(letter) }]);
      }
    },
  });

  // The in-process bus keeps a record until every group that subscribed to
  // its topic has handled it, so a topic without any group would keep its
  // records until the process exits. This group logs each dead letter once.
  // Tools that replay dead letters read the topic with a group of their own.
  const deadLetters = await bus.subscribe({
    topic: deps.topics.deadLetters,
    group: deps.groups.deadLetters,
    handle: async (records) => {
      for (const letter of decodeRecords(DEAD_LETTERS, records, logger)) {
        logger.warn(
          {
            idempotencyKey: letter.notification.idempotencyKey,
            receiver: letter.notification.receiver,
            fingerprint: letter.notification.alert.fingerprint,
            outcome: letter.outcome,
            attempts: letter.attempts,
            error: letter.error,
          },
          'notification dead-lettered; publish it to the notifications topic again to retry',
        );
      }
    },
  });

  return [metrics, alerts, notifications, deadLetters];
}

/** Builds the dead letter of a notification that was not delivered; returns undefined when it was delivered or a duplicate. */
export function deadLetter(notification: Notification, result: DeliveryResult): DeadLetter | undefined {
  if (result.outcome !== 'failed' && result.outcome !== 'rate_limited') return undefined;
  return {
    version: 1,
    notification,
    outcome: result.outcome,
    error: result.error ?? result.outcome,
    attempts: result.attempts,
    failedAt: result.at,
  };
}
