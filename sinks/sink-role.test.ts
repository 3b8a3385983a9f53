import t from 'tap';
import { MemoryBus } from '../pipeline/bus/memory-bus.js';
import { systemClock } from '../pipeline/clock/index.js';
import { silentLogger } from '../pipeline/log/logger.js';
import type { DeadLetter } from '../pipeline/messages/dead-letter.js';
import { DEAD_LETTERS } from '../pipeline/messages/topics.js';
import { MemoryDedupLog } from '../pipeline/state/dedup-log.js';
import type { DeliveryRecord, Store } from '../pipeline/store/store.js';
import { type Channel, DeliveryError } from './channels/channel.js';
import { sampleNotification } from './channels/test-support/notifications.js';
import { Notifier, notifierConfigSchema } from './notifier.js';
import { startSinkRole } from './sink-role.js';

const TOPICS = { metrics: 'metrics', alerts: 'alerts', notifications: 'notifications', deadLetters: 'dead-letters' };
const GROUPS = { metrics: 'sink-metrics', alerts: 'sink-alerts', notifications: 'notifier', deadLetters: 'dead-letter-log' };

/** A channel that rejects every notification whose summary is `reject`. */
const channel: Channel = {
  type: 'scripted',
  async deliver(notification) {
    if (notification.alert.annotations.summary === 'reject') throw new DeliveryError('HTTP 400 Bad Request', false, { status: 400 });
  },
};

/** Waits until `check` holds, polling every 10 ms for at most 5 s. */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 5_000) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

t.test('sink role dead-letters failed notifications', async (t) => {
  const bus = new MemoryBus({ topics: Object.values(TOPICS).map((name) => ({ name, partitions: 2 })), capacityPerPartition: 100, publishTimeoutMs: 1_000 });
  t.teardown(() => bus.close());

  const records: DeliveryRecord[] = [];
  const store = { writeDeliveries: async (deliveries: readonly DeliveryRecord[]) => void records.push(...deliveries) } as unknown as Store;
  const notifier = new Notifier({
    channels: new Map([['oncall', channel]]),
    store,
    dedupLog: new MemoryDedupLog(systemClock),
    clock: systemClock,
    logger: silentLogger,
    config: notifierConfigSchema.parse({}),
  });

  // A second reader of the topic, as a replay tool would be.
  const letters: DeadLetter[] = [];
  await bus.subscribe({ topic: TOPICS.deadLetters, group: 'replay-tool', handle: async (batch) => void letters.push(...batch.map((record) => DEAD_LETTERS.decode(record.value))) });

  await startSinkRole({ bus, store, notifier, topics: TOPICS, groups: GROUPS, logger: silentLogger });

  const delivered = sampleNotification('oncall');
  const rejected = sampleNotification('oncall', { sequence: 4, annotations: { summary: 'reject' } });
  const stray = sampleNotification('nobody');
  await bus.publish(TOPICS.notifications, [delivered, rejected, stray].map((item) => ({ key: item.receiver, value: JSON.stringify(item) })));

  await until(() => letters.length === 2);
  t.same(
    records.map((record) => [record.idempotencyKey, record.outcome]),
    [
      ['fp-cpu-web1:3:oncall', 'delivered'],
      ['fp-cpu-web1:4:oncall', 'failed'],
      ['fp-cpu-web1:3:nobody', 'failed'],
    ],
    'every delivery recorded, failures included',
  );

  const byKey = new Map(letters.map((letter) => [letter.notification.idempotencyKey, letter]));
  t.same(byKey.get('fp-cpu-web1:4:oncall'), {
    version: 1,
    notification: rejected,
    outcome: 'failed',
    error: 'HTTP 400 Bad Request',
    attempts: 1,
    failedAt: records[1]!.ts,
  });
  t.match(byKey.get('fp-cpu-web1:3:nobody'), { outcome: 'failed', attempts: 0, error: 'unknown receiver nobody; add it to notifier.receivers' });
  t.notOk(byKey.has('fp-cpu-web1:3:oncall'), 'a delivered notification is no dead letter');

  await until(() => bus.retained(TOPICS.deadLetters) === 0);
  t.pass('the dead-letter log group lets the in-process bus drop handled dead letters');
});
