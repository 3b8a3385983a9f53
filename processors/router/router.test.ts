import t, { type Test } from 'tap';
import type { Bus, SubscriptionLag } from '../../pipeline/bus/bus.js';
import { MemoryBus } from '../../pipeline/bus/memory-bus.js';
import { ManualClock } from '../../pipeline/clock/index.js';
import { silentLogger } from '../../pipeline/log/logger.js';
import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import type { Decision } from '../../pipeline/messages/decision.js';
import type { Notification } from '../../pipeline/messages/notification.js';
import { MemoryRouterState, type RouterStateStore } from '../../pipeline/state/router-state.js';
import { MemorySilenceStore } from '../../pipeline/state/silence-store.js';
import { flushCutoff, MAX_LAG_WAIT_MS, type RunningRouter, startRouter } from './router.js';
import { routerConfig, T0, transition } from './test-support/alerts.js';

const TOPICS = [
  { name: 'alerts', partitions: 3 },
  { name: 'notifications', partitions: 1 },
  { name: 'decisions', partitions: 1 },
];

interface Harness {
  clock: ManualClock;
  bus: MemoryBus;
  notifications: Notification[];
  decisions: Decision[];
  silences: MemorySilenceStore;
  state: RouterStateStore;
  router: RunningRouter;
  /** When set, the router's subscription to the alerts topic reports this lag instead of its own. */
  lag?: SubscriptionLag;
  publish(events: AlertEvent[]): Promise<void>;
  /** Moves the clock and flushes what is due. */
  advance(ms: number): Promise<void>;
  restart(): Promise<void>;
}

/** Starts a router on a manual clock set to `startAt`. */
async function harness(t: Test, config = routerConfig(), startAt = T0): Promise<Harness> {
  const clock = new ManualClock(startAt);
  // The bus runs on real time; only the router's clock is manual.
  const bus = new MemoryBus({ topics: TOPICS, capacityPerPartition: 10_000, publishTimeoutMs: 1_000 });
  const notifications: Notification[] = [];
  const decisions: Decision[] = [];
  await bus.subscribe({ topic: 'notifications', group: 'test', handle: async (records) => void notifications.push(...records.map((r) => JSON.parse(r.value) as Notification)) });
  await bus.subscribe({ topic: 'decisions', group: 'test', handle: async (records) => void decisions.push(...records.map((r) => JSON.parse(r.value) as Decision)) });
  const silences = new MemorySilenceStore({ clock });
  const state = new MemoryRouterState(clock);

  // The router's bus reports the harness's lag when a test sets one, to imitate a router that is behind.
  const routerBus: Bus = {
    start: () => bus.start(),
    publish: (topic, records) => bus.publish(topic, records),
    subscribe: async (spec) => {
      const subscription = await bus.subscribe(spec);
      return { close: () => subscription.close(), lag: () => h.lag ?? subscription.lag() };
    },
    offsetsForTime: (topic, timestamp) => bus.offsetsForTime(topic, timestamp),
    isReachable: () => bus.isReachable(),
    close: () => bus.close(),
  };
  const start = () =>
    startRouter({ bus: routerBus, alertsTopic: 'alerts', notificationsTopic: 'notifications', decisionsTopic: 'decisions', group: 'router', config, state, silences, clock, logger: silentLogger });
  const h: Harness = {
    clock,
    bus,
    notifications,
    decisions,
    silences,
    state,
    router: await start(),
    publish: async (events) => {
      await bus.publish('alerts', events.map((event) => ({ key: event.fingerprint, value: JSON.stringify(event) })));
      await bus.drain(5_000);
    },
    advance: async (ms) => {
      await clock.advance(ms);
      await h.router.flushDue();
      await bus.drain(5_000);
    },
    restart: async () => {
      await h.router.close();
      h.router = await start();
    },
  };
  t.teardown(async () => {
    await h.router.close();
    await bus.close();
  });
  return h;
}

const reasonsOf = (decisions: Decision[], fingerprint: string): string[] => decisions.filter((d) => d.fingerprint === fingerprint).map((d) => d.reason);

t.test('router storm becomes one notification', async (t) => {
  const h = await harness(t);
  const storm = Array.from({ length: 500 }, (_, i) => transition(`web-${i}`, 'firing', T0 + i));
  await h.publish(storm);
  await h.advance(29_000);
  t.equal(h.notifications.length, 0, 'nothing before group_wait');

  await h.advance(1_000);
  t.equal(h.notifications.length, 1, 'one notification after group_wait');
  const [notification] = h.notifications;
  t.equal(notification!.alerts!.length, 500, 'carrying every alert');
  t.equal(notification!.status, 'firing');
  t.same(notification!.groupLabels, { alertname: 'HighCPU' });
  t.equal(notification!.groupKey, 'root/oncall:{alertname="HighCPU"}');
  t.equal(notification!.alert.fingerprint, notification!.alerts![0]!.fingerprint, 'alert is the first of the group');
  t.equal(h.decisions.filter((d) => d.reason === 'first_notification').length, 500, 'a decision per alert');
});

t.test('router restart does not notify again', async (t) => {
  const h = await harness(t);
  const firing = transition('web-1', 'firing', T0);
  await h.publish([firing]);
  await h.advance(30_000);
  t.equal(h.notifications.length, 1);

  await h.restart();
  await h.publish([firing]);
  await h.advance(60_000);
  t.equal(h.notifications.length, 1, 'the replayed transition is not notified');
  t.same(reasonsOf(h.decisions, firing.fingerprint), ['first_notification', 'duplicate']);
});

t.test('router repeats a firing alert after repeat_interval', async (t) => {
  const h = await harness(t, routerConfig({ repeat_interval: '1h' }));
  await h.publish([transition('web-1', 'firing', T0)]);
  await h.advance(30_000);
  await h.advance(3_600_000);
  t.equal(h.notifications.length, 2, 'notified again after an hour');
  t.same(reasonsOf(h.decisions, 'HighCPU-web-1'), ['first_notification', 'repeat_interval_elapsed']);
  t.not(h.notifications[0]!.idempotencyKey, h.notifications[1]!.idempotencyKey, 'the repeat has its own key');
});

t.test('router notifies a resolution after group_interval', async (t) => {
  const h = await harness(t, routerConfig({ group_interval: '1m' }));
  await h.publish([transition('web-1', 'firing', T0)]);
  await h.advance(30_000);
  await h.publish([transition('web-1', 'resolved', T0 + 40_000, { activeAt: T0 })]);
  await h.advance(59_000);
  t.equal(h.notifications.length, 1, 'held until group_interval after the last notification');
  await h.advance(1_000);
  t.equal(h.notifications.length, 2);
  t.equal(h.notifications[1]!.status, 'resolved');
  t.same(reasonsOf(h.decisions, 'HighCPU-web-1'), ['first_notification', 'first_notification']);
});

t.test('router routes by matchers with continue', async (t) => {
  const config = routerConfig({
    group_wait: '0s',
    routes: [
      { name: 'db', matchers: ['role=db'], receivers: ['dba'], continue: true },
      { name: 'prod', matchers: ['env="prod"'], receivers: ['pager'] },
    ],
  });
  const h = await harness(t, config);
  await h.publish([
    transition('db-1', 'firing', T0, { tags: { env: 'prod', role: 'db' } }),
    transition('web-1', 'firing', T0, { tags: { env: 'staging' } }),
  ]);
  await h.advance(1);
  const byReceiver = Object.fromEntries(h.notifications.map((n) => [n.receiver, n.alerts!.map((a) => a.agentId)]));
  t.same(byReceiver, { dba: ['db-1'], pager: ['db-1'], oncall: ['web-1'] });
});

t.test('router silences an alert until ends_at', async (t) => {
  const h = await harness(t, routerConfig({ group_wait: '0s', group_interval: '1m' }));
  const silence = await h.silences.create({ matchers: [{ name: 'agent', operator: '=', value: 'web-1' }], startsAt: T0, endsAt: T0 + 120_000, createdBy: 'alice', comment: 'reboot' });
  await h.publish([transition('web-1', 'firing', T0), transition('web-2', 'firing', T0)]);
  await h.advance(1);
  t.same(h.notifications.map((n) => n.alerts!.map((a) => a.agentId)), [['web-2']]);
  const silenced = h.decisions.find((d) => d.reason === 'silenced');
  t.equal(silenced?.silenceId, silence.id);
  t.match(silenced?.detail, /alice: reboot/);

  await h.advance(180_000);
  t.equal(h.notifications.length, 2, 'notified once the silence ended');
  t.same(h.notifications[1]!.alerts!.map((a) => a.agentId).sort(), ['web-1', 'web-2']);
  t.same(reasonsOf(h.decisions, 'HighCPU-web-1'), ['silenced', 'first_notification']);
});

t.test('router critical alert inhibits warnings', async (t) => {
  const config = routerConfig({
    group_wait: '0s',
    group_by: ['agent'],
    inhibit_rules: [{ source_matchers: ['severity=critical'], target_matchers: ['severity=warning'], equal: ['agent'] }],
  });
  const h = await harness(t, config);
  const down = transition('web-1', 'firing', T0, { rule: 'AgentDown', severity: 'critical' });
  await h.publish([down, transition('web-1', 'firing', T0, { rule: 'HighCPU' }), transition('web-2', 'firing', T0, { rule: 'HighCPU' })]);
  await h.advance(1);
  const notified = h.notifications.flatMap((n) => n.alerts!.map((a) => a.fingerprint)).sort();
  t.same(notified, ['AgentDown-web-1', 'HighCPU-web-2']);
  const inhibited = h.decisions.find((d) => d.reason === 'inhibited');
  t.equal(inhibited?.fingerprint, 'HighCPU-web-1');
  t.equal(inhibited?.inhibitedBy, down.fingerprint);
});

t.test('router delivers firing alerts after blackout', async (t) => {
  // T0 is Monday 12:00 UTC, which is 13:00 in Berlin. The window ends at 14:00 Berlin time.
  const config = routerConfig({
    group_wait: '0s',
    blackouts: ['lunch'],
    blackout_windows: [{ name: 'lunch', time_zone: 'Europe/Berlin', weekly: [{ days: ['mon'], start: '12:30', end: '14:00' }] }],
  });
  const h = await harness(t, config);
  await h.publish([transition('web-1', 'firing', T0), transition('web-2', 'firing', T0)]);
  await h.advance(1);
  await h.publish([transition('web-2', 'resolved', T0 + 60_000)]);
  await h.advance(60_000);
  t.equal(h.notifications.length, 0, 'held during the window');
  t.same(reasonsOf(h.decisions, 'HighCPU-web-2'), ['blackout_window', 'blackout_window'], 'firing and resolution logged');
  t.equal(h.decisions[0]!.blackoutWindow, 'lunch');

  await h.clock.set(Date.parse('2026-03-02T13:00:00Z') - 1);
  await h.router.flushDue();
  t.equal(h.notifications.length, 0);
  await h.advance(1);
  t.equal(h.notifications.length, 1, 'delivered as the window ends');
  t.same(h.notifications[0]!.alerts!.map((a) => a.agentId), ['web-1'], 'only the alert still firing');
});

t.test('router sends one flapping notification', async (t) => {
  const config = routerConfig({ group_wait: '0s', group_interval: '10s', flapping: { max_changes: 3, window: '10m', settle_after: '5m' } });
  const h = await harness(t, config);
  let at = T0;
  const flip = async (state: 'firing' | 'resolved'): Promise<void> => {
    at += 20_000;
    await h.publish([transition('web-1', state, at, { activeAt: state === 'firing' ? at : at - 20_000 })]);
    await h.advance(20_000);
  };
  await flip('firing');
  await flip('resolved');
  await flip('firing');
  t.equal(h.notifications.length, 3, 'three changes are notified');
  await flip('resolved');
  await flip('firing');
  await flip('resolved');
  t.equal(h.notifications.length, 4, 'then one flapping notification');
  t.match(h.notifications[3]!.alert.annotations.flapping, /changed state 4 times/);
  t.ok(reasonsOf(h.decisions, 'HighCPU-web-1').filter((r) => r === 'flapping').length >= 3, 'held transitions logged as flapping');

  await h.advance(5 * 60_000);
  t.equal(h.notifications.length, 5, 'one more once it settled');
  t.equal(h.notifications[4]!.alert.state, 'resolved');
  t.match(h.decisions.at(-1)!.detail, /settled after flapping/);
});

// Nightly 22:00-06:00 windows over the nights when clocks change. The window ends at 06:00 local time, after 7 or 9 hours.
for (const [zone, firedAt, endsAt] of [
  ['Europe/Berlin', '2026-03-28T23:00:00Z', '2026-03-29T04:00:00Z'],
  ['Europe/Berlin', '2026-10-24T23:00:00Z', '2026-10-25T05:00:00Z'],
  ['America/New_York', '2026-03-08T04:00:00Z', '2026-03-08T10:00:00Z'],
  ['America/New_York', '2026-11-01T04:00:00Z', '2026-11-01T11:00:00Z'],
] as const) {
  t.test(`router blackout ends at 06:00 in ${zone} on ${endsAt.slice(0, 10)}`, async (t) => {
    const config = routerConfig({
      group_wait: '0s',
      blackouts: ['nights'],
      blackout_windows: [{ name: 'nights', time_zone: zone, weekly: [{ start: '22:00', end: '06:00' }] }],
    });
    const h = await harness(t, config, Date.parse(firedAt));
    await h.publish([transition('web-1', 'firing', Date.parse(firedAt))]);
    await h.advance(1);
    t.equal(h.notifications.length, 0, 'held during the night');
    const blackoutDecision = h.decisions.find((decision) => decision.reason === 'blackout_window');
    t.equal(blackoutDecision?.blackoutWindow, 'nights');
    t.match(blackoutDecision?.detail, `active until ${new Date(Date.parse(endsAt)).toISOString()}`);

    await h.clock.set(Date.parse(endsAt) - 1);
    await h.router.flushDue();
    await h.bus.drain(5_000);
    t.equal(h.notifications.length, 0, 'still held a millisecond before 06:00');
    await h.advance(1);
    t.equal(h.notifications.length, 1, 'delivered at 06:00 local time');
    t.same(reasonsOf(h.decisions, 'HighCPU-web-1'), ['blackout_window', 'first_notification']);
  });
}

t.test('router drops a repeated firing as duplicate', async (t) => {
  const h = await harness(t, routerConfig({ group_wait: '0s', group_interval: '1m' }));
  await h.publish([transition('web-1', 'firing', T0)]);
  await h.advance(1);
  t.equal(h.notifications.length, 1);

  // Resolved and firing again before the group's next flush: the resolution is superseded, and the firing was notified within repeat_interval.
  await h.publish([transition('web-1', 'resolved', T0 + 10_000, { activeAt: T0 })]);
  await h.publish([transition('web-1', 'firing', T0 + 20_000)]);
  await h.advance(60_000);
  t.equal(h.notifications.length, 1, 'nothing new to notify');
  const duplicates = h.decisions.filter((decision) => decision.reason === 'duplicate');
  t.same(
    duplicates.map((decision) => decision.state),
    ['resolved', 'firing'],
  );
  t.match(duplicates[0]!.detail, /superseded by the firing transition/);
  t.match(duplicates[1]!.detail, /notified as firing at .* within repeat_interval/);
});

t.test('flushCutoff follows the read position', async (t) => {
  t.equal(flushCutoff(T0, undefined), T0, 'before the subscription exists');
  t.equal(flushCutoff(T0, { records: 0, lastHandledTimestamp: T0 - 60_000 }), T0, 'caught up');
  t.equal(flushCutoff(T0, { records: 40, lastHandledTimestamp: T0 - 5_000 }), T0 - 5_000, 'behind: up to what was read');
  t.equal(flushCutoff(T0, { records: 40, lastHandledTimestamp: T0 + 5_000 }), T0, 'never later than now');
  t.equal(flushCutoff(T0, { records: 40, lastHandledTimestamp: 0 }), T0 - MAX_LAG_WAIT_MS, 'at most MAX_LAG_WAIT_MS behind');
});

t.test('router behind delays a due group', async (t) => {
  const h = await harness(t, routerConfig({ group_wait: '30s' }));
  await h.publish([transition('web-1', 'firing', T0)]);

  // The router has read only what was published until T0 + 10 s; the rest of the storm is still on the bus.
  h.lag = { records: 120, lastHandledTimestamp: T0 + 10_000 };
  await h.advance(30_000);
  t.equal(h.notifications.length, 0, 'held at its due time');

  await h.publish([transition('web-2', 'firing', T0 + 25_000)]);
  h.lag = { records: 3, lastHandledTimestamp: T0 + 30_000 };
  await h.advance(1);
  t.equal(h.notifications.length, 1, 'flushed once the router read past its due time');
  t.same(h.notifications[0]!.alerts!.map((alert) => alert.agentId), ['web-1', 'web-2'], 'with the transition read late');
});

t.test('router behind waits at most MAX_LAG_WAIT_MS', async (t) => {
  const h = await harness(t, routerConfig({ group_wait: '30s' }));
  await h.publish([transition('web-1', 'firing', T0)]);
  h.lag = { records: 10_000, lastHandledTimestamp: T0 };

  await h.advance(30_000 + MAX_LAG_WAIT_MS - 1);
  t.equal(h.notifications.length, 0, 'held while the router stays behind');
  await h.advance(1);
  t.equal(h.notifications.length, 1, 'flushed MAX_LAG_WAIT_MS after its due time');
});
