import t from 'tap';
import { MemoryBus } from '../pipeline/bus/memory-bus.js';
import { silentLogger } from '../pipeline/log/logger.js';
import type { Decision } from '../pipeline/messages/decision.js';
import { groupNotification, sampleNotification, T0 } from './channels/test-support/notifications.js';
import { deliveryDecisions, publishDeliveryDecisions, startDecisionSink } from './decision-sink.js';
import type { DeliveryResult } from './notifier.js';

const delivered: DeliveryResult = { outcome: 'delivered', channel: 'webhook', attempts: 2, at: T0 + 5_000 };

t.test('decision sink delivered names the channel', async (t) => {
  const decisions = deliveryDecisions(groupNotification('oncall', 3, { resolved: 1 }), delivered);
  t.equal(decisions.length, 3, 'one decision per alert of the group');
  t.same(
    decisions.map((decision) => [decision.fingerprint, decision.state, decision.reason]),
    [
      ['fp-cpu-web-1', 'resolved', 'delivered'],
      ['fp-cpu-web-2', 'firing', 'delivered'],
      ['fp-cpu-web-3', 'firing', 'delivered'],
    ],
  );
  t.match(decisions[0], {
    version: 1,
    ts: T0 + 5_000,
    alertKey: `fp-cpu-web-1:${T0 - 180_000}:resolved`,
    rule: 'HighCPU',
    agentId: 'web-1',
    receiver: 'oncall',
    groupKey: 'root/oncall:{alertname="HighCPU"}',
    notificationKey: 'group-key-3:oncall',
    detail: 'webhook after 2 attempt(s)',
  });
});

t.test('decision sink failed delivery is delivery_failed', async (t) => {
  const [decision] = deliveryDecisions(sampleNotification('oncall'), { outcome: 'failed', channel: 'slack', attempts: 5, error: 'slack oncall responded with HTTP 500 (gave up after 5 attempts)', at: T0 });
  t.equal(decision?.reason, 'delivery_failed');
  t.equal(decision?.detail, 'slack oncall responded with HTTP 500 (gave up after 5 attempts)', 'the delivery error');
  t.equal(decision?.groupKey, undefined, 'no group key on a notification without one');
  t.equal(decision?.notificationKey, 'fp-cpu-web1:3:oncall');
});

t.test('decision sink rate limited is rate_limited', async (t) => {
  const error = 'rate limited: receiver oncall allows 1 notifications per 1m, and the next slot frees in 30000 ms, later than max_wait 0s';
  const decisions = deliveryDecisions(groupNotification('oncall', 2), { outcome: 'rate_limited', channel: 'webhook', attempts: 0, error, at: T0 });
  t.same(
    decisions.map((decision) => decision.reason),
    ['rate_limited', 'rate_limited'],
  );
  t.equal(decisions[1]?.detail, error);
});

t.test('decision sink duplicate has no decision', async (t) => {
  t.same(deliveryDecisions(sampleNotification('oncall'), { outcome: 'duplicate', attempts: 0, at: T0 }), [], 'the first delivery has its decisions');
});

t.test('decision sink same outcome same id', async (t) => {
  const first = deliveryDecisions(sampleNotification('oncall'), delivered);
  const again = deliveryDecisions(sampleNotification('oncall'), delivered);
  t.equal(first[0]!.id, again[0]!.id, 'a replay is one row in the store');
  const later = deliveryDecisions(sampleNotification('oncall'), { ...delivered, at: delivered.at + 1 });
  t.not(first[0]!.id, later[0]!.id);
});

t.test('decision sink stores published decisions', async (t) => {
  const bus = new MemoryBus({ topics: [{ name: 'decisions', partitions: 2 }], capacityPerPartition: 100, publishTimeoutMs: 1_000 });
  t.teardown(() => bus.close());
  const stored: Decision[] = [];
  const subscription = await startDecisionSink({ bus, store: { writeDecisions: async (decisions) => void stored.push(...decisions) }, topic: 'decisions', group: 'sink', logger: silentLogger });
  t.teardown(() => subscription.close());

  await publishDeliveryDecisions(bus, 'decisions')(groupNotification('oncall', 2), delivered);
  await bus.publish('decisions', [{ key: 'x', value: '{"not":"a decision"}' }]);
  await bus.drain(5_000);

  t.same(stored.map((decision) => decision.fingerprint).sort(), ['fp-cpu-web-1', 'fp-cpu-web-2'], 'both decisions stored, the unreadable record skipped');
  t.ok(stored.every((decision) => decision.reason === 'delivered'));
});
