import type { Bus, DeliveredRecord, Subscription } from '../../pipeline/bus/bus.js';
import type { Clock } from '../../pipeline/clock/index.js';
import type { Logger } from '../../pipeline/log/logger.js';
import { type AlertEvent, idempotencyKey } from '../../pipeline/messages/alert-event.js';
import type { Notification } from '../../pipeline/messages/notification.js';
import { ALERTS, PayloadError } from '../../pipeline/messages/topics.js';
import type { RouterConfig } from './config.js';

export interface RouterDeps {
  bus: Bus;
  alertsTopic: string;
  notificationsTopic: string;
  group: string;
  config: RouterConfig;
  clock: Clock;
  logger: Logger;
}

/** Picks the receivers of one alert transition: the rule's own, else the defaults. */
export function receiversFor(event: AlertEvent, config: RouterConfig): string[] {
  return event.notify.length > 0 ? event.notify : config.default_receivers;
}

/**
 * Consumes alert transitions and publishes one notification per receiver,
 * keyed by receiver so each receiver gets its notifications in order. The
 * idempotency key lets the notifier drop a transition replayed after a crash.
 */
export async function startRouter(deps: RouterDeps): Promise<Subscription> {
  const { bus, clock, logger, config } = deps;

  return bus.subscribe({
    topic: deps.alertsTopic,
    group: deps.group,
    handle: async (records: readonly DeliveredRecord[]) => {
      const notifications: Notification[] = [];
      for (const record of records) {
        const event = decode(record, logger);
        // Pending and inactive transitions are stored, never notified.
        if (!event || (event.state !== 'firing' && event.state !== 'resolved')) continue;
        for (const receiver of receiversFor(event, config)) {
          notifications.push({
            version: 1,
            idempotencyKey: `${idempotencyKey(event)}:${receiver}`,
            receiver,
            alert: event,
            createdAt: clock.now(),
          });
        }
      }
      if (notifications.length === 0) return;
      await bus.publish(
        deps.notificationsTopic,
        notifications.map((notification) => ({ key: notification.receiver, value: JSON.stringify(notification) })),
      );
    },
  });
}

function decode(record: DeliveredRecord, logger: Logger): AlertEvent | undefined {
  try {
    return ALERTS.decode(record.value);
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    logger.error({ err: error, topic: record.topic, partition: record.partition, offset: record.offset }, 'skipping unreadable record');
    return undefined;
  }
}
