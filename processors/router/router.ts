import type { Bus, DeliveredRecord, Subscription, SubscriptionLag } from '../../pipeline/bus/bus.js';
import type { Clock, Timer } from '../../pipeline/clock/index.js';
import type { Logger } from '../../pipeline/log/logger.js';
import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import type { Decision } from '../../pipeline/messages/decision.js';
import { alertLabelSet } from '../../pipeline/messages/matcher.js';
import { decodeRecords } from '../../pipeline/messages/decode-records.js';
import { ALERTS } from '../../pipeline/messages/topics.js';
import type { RouterStateStore } from '../../pipeline/state/router-state.js';
import type { SilenceStore } from '../../pipeline/state/silence-store.js';
import { BlackoutStage } from './blackout-stage.js';
import type { RouterConfig } from './config.js';
import { type AlertTrack, FlappingStage, observeFlapping } from './flapping.js';
import { addToGroup, type AlertEntry, decisionMaker, flushGroup, type GroupMeta } from './group.js';
import { type InhibitionSource, InhibitionStage } from './inhibition.js';
import { type GroupAssignment, RouteTree } from './routing.js';
import { SilenceStage } from './silence-stage.js';
import type { FlappingStatus, MuteStage } from './stage.js';

export interface RouterDeps {
  bus: Bus;
  alertsTopic: string;
  notificationsTopic: string;
  decisionsTopic: string;
  /** Consumer group on the alerts topic. */
  group: string;
  config: RouterConfig;
  state: RouterStateStore;
  silences: Pick<SilenceStore, 'list'>;
  clock: Clock;
  logger: Logger;
}

export interface RunningRouter extends Subscription {
  /** Flushes the groups that are due (see flushCutoff). The router's timer calls it every tick_interval. */
  flushDue(): Promise<void>;
}

/** Max due groups that one tick flushes. The rest wait for the next tick. */
const MAX_GROUPS_PER_TICK = 1_000;
/** Max time past its due time that a group waits for a router that is behind on the alerts topic (see flushCutoff). */
export const MAX_LAG_WAIT_MS = 30_000;
/** Retention of per-fingerprint records (flapping history, the last transition seen) after their last change. */
const TRACK_TTL_MS = 7 * 86_400_000;

/**
 * Starts the alert router. It consumes alert transitions in a consumer
 * group and, for each `firing` or `resolved` one:
 * 1. flapping: counts the fingerprint's state changes. A repeated
 *    transition (same idempotency key) is logged as a duplicate.
 * 2. routing: finds the routes and receivers (routing.ts).
 * 3. grouping: adds it to one group per route and receiver (group.ts).
 * Every tick it flushes the groups that are due: suppression stages
 * (inhibition, silences, blackout windows, flapping), dedup against
 * repeat_interval, then one notification per group and receiver.
 *
 * A router that is behind on the alerts topic delays due groups until it has
 * read what was published before they were due (flushCutoff).
 *
 * Every decision goes to the decisions topic. Groups, flapping history and
 * inhibition sources live in the router state store, so a restarted router
 * notifies nothing twice, and replicas share groups whose alerts arrive on
 * different partitions.
 */
export async function startRouter(deps: RouterDeps): Promise<RunningRouter> {
  const { bus, clock, logger, config, state } = deps;
  const tree = new RouteTree(config);
  const inhibition = new InhibitionStage(config.inhibit_rules);
  const silences = new SilenceStage(deps.silences, config.silences.refresh, clock, logger);
  const stages: MuteStage[] = [inhibition, silences, new BlackoutStage(config.blackout_windows), new FlappingStage(config.flapping)];

  const publishDecisions = async (decisions: readonly Decision[]): Promise<void> => {
    if (decisions.length === 0) return;
    await bus.publish(
      deps.decisionsTopic,
      decisions.map((decision) => ({ key: decision.fingerprint, value: JSON.stringify(decision) })),
    );
  };

  const handle = async (records: readonly DeliveredRecord[]): Promise<void> => {
    const events = decodeRecords(ALERTS, records, logger).filter((event) => event.state === 'firing' || event.state === 'resolved');
    if (events.length === 0) return;
    const now = clock.now();
    const decisions: Decision[] = [];

    const fingerprints = [...new Set(events.map((event) => event.fingerprint))];
    const stored = await state.readAlerts(fingerprints);
    const tracks = new Map<string, AlertTrack>();
    for (const [fingerprint, text] of stored) tracks.set(fingerprint, JSON.parse(text) as AlertTrack);

    const arrivals = new Map<string, { assignment: GroupAssignment; items: Array<{ event: AlertEvent; flapping?: FlappingStatus }> }>();
    for (const event of events) {
      const observed = observeFlapping(tracks.get(event.fingerprint), event, config.flapping);
      tracks.set(event.fingerprint, observed.track);
      if (observed.replay) {
        decisions.push(decisionMaker(undefined, undefined, now)(event, 'duplicate', { detail: observed.replayDetail! }));
        continue;
      }

      const labels = alertLabelSet(event);
      if (config.inhibit_rules.length > 0) {
        const source: InhibitionSource | undefined = inhibition.isSource(event) ? { fingerprint: event.fingerprint, rule: event.rule, labels } : undefined;
        if (source || event.state === 'resolved') await state.setSource(event.fingerprint, source ? JSON.stringify(source) : undefined);
      }

      for (const assignment of tree.assign(event, labels)) {
        let arrival = arrivals.get(assignment.groupId);
        if (!arrival) arrivals.set(assignment.groupId, (arrival = { assignment, items: [] }));
        arrival.items.push({ event, flapping: observed.status });
      }
    }

    for (const [groupId, { assignment, items }] of arrivals) {
      await state.withGroupLock(groupId, async () => {
        const group = await state.readGroup(groupId, [...new Set(items.map((item) => item.event.fingerprint))]);
        let meta = group.meta === undefined ? undefined : (JSON.parse(group.meta) as GroupMeta);
        const changed = new Map<string, string>();
        for (const { event, flapping } of items) {
          const text = changed.get(event.fingerprint) ?? group.entries.get(event.fingerprint);
          const entry = text === undefined ? undefined : (JSON.parse(text) as AlertEntry);
          const result = addToGroup(meta, entry, event, flapping, assignment, now);
          decisions.push(...result.decisions);
          meta = result.meta;
          if (result.entry) changed.set(event.fingerprint, JSON.stringify(result.entry));
        }
        if (meta && changed.size > 0) await state.writeGroup(groupId, { meta: JSON.stringify(meta), changed, removed: [], dueAt: meta.nextFlushAt });
      });
    }

    // Tracks are written after the groups, so a crash in between replays these records into the groups, which recognise them as duplicates.
    const changedTracks = new Map<string, string>();
    for (const fingerprint of fingerprints) changedTracks.set(fingerprint, JSON.stringify(tracks.get(fingerprint)));
    await state.writeAlerts(changedTracks, TRACK_TTL_MS);
    await publishDecisions(decisions);
  };

  const flushOne = async (groupId: string): Promise<void> => {
    await state.withGroupLock(groupId, async () => {
      const group = await state.readGroup(groupId);
      if (group.meta === undefined) {
        await state.deleteGroup(groupId);
        return;
      }
      const meta = JSON.parse(group.meta) as GroupMeta;
      const now = clock.now();
      // Another replica flushed it since it was listed as due.
      if (meta.nextFlushAt > now) return;

      const entries = new Map<string, AlertEntry>();
      for (const [fingerprint, text] of group.entries) entries.set(fingerprint, JSON.parse(text) as AlertEntry);
      const route = tree.get(meta.routeId) ?? tree.root;
      const result = flushGroup(meta, entries, { route, stages, now });

      if (result.notification) {
        await bus.publish(deps.notificationsTopic, [{ key: result.notification.receiver, value: JSON.stringify(result.notification) }]);
        logger.info(
          { groupKey: meta.groupKey, receiver: meta.receiver, alerts: result.notification.alerts?.length, idempotencyKey: result.notification.idempotencyKey },
          'group notification published',
        );
      }
      await publishDecisions(result.decisions);

      if (result.empty) {
        await state.deleteGroup(groupId);
        return;
      }
      const changed = new Map<string, string>();
      for (const [fingerprint, entry] of result.changed) changed.set(fingerprint, JSON.stringify(entry));
      await state.writeGroup(groupId, { meta: JSON.stringify(result.meta), changed, removed: result.removed, dueAt: result.meta.nextFlushAt });
    });
  };

  let flushing: Promise<void> | undefined;
  let subscription: Subscription | undefined;
  const runFlush = async (): Promise<void> => {
    await silences.refresh();
    if (config.inhibit_rules.length > 0) {
      const sources = await state.listSources();
      inhibition.setSources([...sources.values()].map((text) => JSON.parse(text) as InhibitionSource));
    }

    const now = clock.now();
    const lag = subscription?.lag();
    const cutoff = flushCutoff(now, lag);
    if (cutoff < now) {
      logger.debug({ unreadRecords: lag?.records, readUpTo: lag?.lastHandledTimestamp, delayMs: now - cutoff }, 'delaying due groups until the router has read the transitions published before they were due');
    }

    for (const groupId of await state.dueGroups(cutoff, MAX_GROUPS_PER_TICK)) {
      try {
        await flushOne(groupId);
      } catch (error) {
        logger.error({ err: error, groupId }, 'flushing an alert group failed; the next tick retries it');
      }
    }
  };
  const flushDue = async (): Promise<void> => {
    while (flushing) await flushing;
    flushing = runFlush().finally(() => (flushing = undefined));
    await flushing;
  };

  let timer: Timer | undefined;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    const run = flushing ? Promise.resolve() : flushDue();
    run
      .catch((error: unknown) => logger.error({ err: error }, 'router tick failed; the next tick retries'))
      .finally(() => {
        if (!stopped) timer = clock.setTimeout(tick, config.tick_interval).unref();
      });
  };
  timer = clock.setTimeout(tick, config.tick_interval).unref();

  subscription = await bus.subscribe({ topic: deps.alertsTopic, group: deps.group, handle });
  const alertsSubscription = subscription;
  logger.info({ routes: tree.root.children.length, blackoutWindows: config.blackout_windows.length, inhibitRules: config.inhibit_rules.length }, 'router started');

  return {
    flushDue,
    lag: (): SubscriptionLag => alertsSubscription.lag(),
    close: async (): Promise<void> => {
      stopped = true;
      timer?.cancel();
      await alertsSubscription.close();
      while (flushing) await flushing;
    },
  };
}

/**
 * Returns the latest due time of the groups to flush now. group_wait counts
 * from when the router reads a group's first transition, so a router that
 * falls behind during a storm would flush groups before reading transitions
 * that reached the bus in time for them, and split them. While the router
 * has unread records, a group is flushed only once the router has handled
 * records published at or after its due time, and at most MAX_LAG_WAIT_MS
 * after it. The bus timestamps records with its clock, which is the same
 * wall clock as the router's in both deployments.
 *
 * NOTE: with several router replicas each replica measures only its own lag,
 * so a replica that is caught up may flush a group whose transitions wait on
 * another replica's partitions.
 */
export function flushCutoff(now: number, lag: SubscriptionLag | undefined): number {
  if (!lag || lag.records === 0) return now;
  return Math.max(now - MAX_LAG_WAIT_MS, Math.min(now, lag.lastHandledTimestamp));
}
