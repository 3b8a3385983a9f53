import type { Bus, DeliveredRecord, Subscription } from '../pipeline/bus/bus.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { TopicSpec } from '../pipeline/messages/topics.js';
import { ALERTS, METRICS, NOTIFICATIONS, PayloadError } from '../pipeline/messages/topics.js';
import type { Store } from '../pipeline/store/store.js';
import type { Notifier } from './notifier.js';

export interface SinkRoleDeps {
  bus: Bus;
  store: Store;
  notifier: Notifier;
  topics: { metrics: string; alerts: string; notifications: string };
  groups: { metrics: string; alerts: string; notifications: string };
  logger: Logger;
}

/**
 * Starts the sink role: every sample and alert transition goes to the store,
 * every notification to its receiver. Each handler resolves only after the
 * store write or the delivery finished, so the bus commits nothing that
 * could still be lost.
 */
export async function startSinkRole(deps: SinkRoleDeps): Promise<Subscription[]> {
  const { bus, store, notifier, logger } = deps;

  const metrics = await bus.subscribe({
    topic: deps.topics.metrics,
    group: deps.groups.metrics,
    handle: async (records) => {
      const batches = decodeAll(METRICS, records, logger);
      if (batches.length > 0) await store.writeSamples(batches);
    },
  });

  const alerts = await bus.subscribe({
    topic: deps.topics.alerts,
    group: deps.groups.alerts,
    handle: async (records) => {
      const events = decodeAll(ALERTS, records, logger);
      if (events.length > 0) await store.writeAlerts(events);
    },
  });

  // Notifications of one receiver share a partition, so delivering them one
  // after another keeps each receiver's order.
  const notifications = await bus.subscribe({
    topic: deps.topics.notifications,
    group: deps.groups.notifications,
    handle: async (records) => {
      for (const notification of decodeAll(NOTIFICATIONS, records, logger)) {
        await notifier.deliver(notification);
      }
    },
  });

  return [metrics, alerts, notifications];
}

/** Decodes records, logging and skipping any that no version of fleetpulse can read. */
function decodeAll<T>(spec: TopicSpec<T>, records: readonly DeliveredRecord[], logger: Logger): T[] {
  const decoded: T[] = [];
  for (const record of records) {
    try {
      decoded.push(spec.decode(record.value));
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      logger.error({ err: error, topic: record.topic, partition: record.partition, offset: record.offset }, 'skipping unreadable record');
    }
  }
  return decoded;
}
