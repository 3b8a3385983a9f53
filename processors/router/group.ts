import { createHash } from 'node:crypto';
import { type AlertEvent, type AlertState, idempotencyKey } from '../../pipeline/messages/alert-event.js';
import { type Decision, type DecisionFields, type DecisionReason, makeDecision } from '../../pipeline/messages/decision.js';
import { alertLabelSet } from '../../pipeline/messages/matcher.js';
import type { Notification } from '../../pipeline/messages/notification.js';
import type { GroupAssignment, ResolvedRoute } from './routing.js';
import { type FlappingStatus, firstSuppression, type MuteStage, type Suppression } from './stage.js';

/** A group's metadata as stored in the router state. */
export interface GroupMeta {
  groupKey: string;
  receiver: string;
  routeId: string;
  groupLabels: Record<string, string>;
  /** Router time of the group's first alert, ms since epoch. */
  createdAt: number;
  /** Router time of the group's next flush, ms since epoch. */
  nextFlushAt: number;
  /** Router time of the group's last notification. */
  lastNotifiedAt?: number;
  /** Count of notifications sent for the group, part of each notification's idempotency key. */
  sequence: number;
}

/** One alert of a group as stored: its latest transition and what was last notified to the receiver. */
export interface AlertEntry {
  event: AlertEvent;
  /** True while the latest transition waits for the flush that decides it. */
  pending: boolean;
  /** The state and router time of the last notification that carried the alert to this receiver. */
  notified?: { state: AlertState; at: number };
  /** Reason and ids of the suppression already logged for the latest transition, so a suppressed alert is logged once per suppression. */
  suppressed?: string;
  /** The last suppression of the alert, named in the decision of a resolution that is dropped because its firing was never notified. */
  lastSuppression?: Pick<Suppression, 'reason' | 'silenceId' | 'blackoutWindow' | 'inhibitedBy' | 'detail'>;
  flapping?: FlappingStatus;
  /** True once the flapping notification of the current flapping episode was sent. */
  flapNotified?: boolean;
}

export interface ArrivalResult {
  meta: GroupMeta;
  /** The new entry, or undefined when the transition was a replay and nothing changed. */
  entry?: AlertEntry;
  decisions: Decision[];
}

/**
 * Adds one transition to a group. A new group is flushed after group_wait.
 * A group that has notified is flushed group_interval after its last
 * notification, and no later than it was due already. The same transition
 * arriving again (same idempotency key) is logged as a duplicate and
 * changes nothing.
 */
export function addToGroup(
  meta: GroupMeta | undefined,
  entry: AlertEntry | undefined,
  event: AlertEvent,
  flapping: FlappingStatus | undefined,
  assignment: GroupAssignment,
  now: number,
): ArrivalResult {
  const decide = decisionMaker(assignment.groupKey, assignment.receiver, now);
  const route = assignment.route;

  if (entry && idempotencyKey(entry.event) === idempotencyKey(event)) {
    return { meta: meta!, decisions: [decide(event, 'duplicate', { detail: 'the same transition arrived again, such as after a restart; it was routed before' })] };
  }

  let nextMeta: GroupMeta;
  if (!meta) {
    nextMeta = { groupKey: assignment.groupKey, receiver: assignment.receiver, routeId: route.id, groupLabels: assignment.groupLabels, createdAt: now, nextFlushAt: now + route.groupWaitMs, sequence: 0 };
  } else {
    const earliest = meta.lastNotifiedAt === undefined ? meta.createdAt + route.groupWaitMs : meta.lastNotifiedAt + route.groupIntervalMs;
    nextMeta = { ...meta, nextFlushAt: Math.min(meta.nextFlushAt, Math.max(now, earliest)) };
  }

  const decisions: Decision[] = [];
  if (entry?.pending && !entry.suppressed) {
    decisions.push(decide(entry.event, 'duplicate', { detail: `superseded by the ${event.state} transition before the group was flushed` }));
  }

  const next: AlertEntry = { event, pending: true };
  if (entry?.notified) next.notified = entry.notified;
  if (entry?.lastSuppression) next.lastSuppression = entry.lastSuppression;
  if (flapping) {
    next.flapping = flapping;
    if (entry?.flapping?.since === flapping.since && entry.flapNotified) next.flapNotified = true;
  }
  return { meta: nextMeta, entry: next, decisions };
}

export interface FlushContext {
  route: ResolvedRoute;
  /** Suppression stages in order: inhibition, silences, blackout windows, flapping. */
  stages: readonly MuteStage[];
  now: number;
}

export interface FlushResult {
  meta: GroupMeta;
  notification?: Notification;
  decisions: Decision[];
  changed: Map<string, AlertEntry>;
  removed: string[];
  /** True when the group has no alerts left and can be deleted. */
  empty: boolean;
}

interface Notify {
  entry: AlertEntry;
  reason: DecisionReason;
  detail?: string;
}

/**
 * Decides a group's alerts at a flush and builds at most one notification
 * that carries them. For each alert, in order:
 * 1. A resolution whose firing was never notified to this receiver is
 *    dropped, logged under the reason that held the firing back.
 * 2. The suppression stages: the first that suppresses the alert names the
 *    decision. A flapping alert is sent once, marked in its annotations.
 * 3. Dedup: a pending transition whose fingerprint was notified in the
 *    same state within repeat_interval is a duplicate. Otherwise it is
 *    notified (first notification, or repeat interval elapsed). A firing
 *    alert with nothing new is notified again once repeat_interval passed.
 * The notification carries the alerts notified now, then the other firing
 * alerts that no stage suppresses, so it shows the whole group.
 */
export function flushGroup(meta: GroupMeta, entries: ReadonlyMap<string, AlertEntry>, context: FlushContext): FlushResult {
  const { route, stages, now } = context;
  const decide = decisionMaker(meta.groupKey, meta.receiver, now);
  const decisions: Decision[] = [];
  const changed = new Map<string, AlertEntry>();
  const removed: string[] = [];
  const notify: Notify[] = [];
  const carried: AlertEntry[] = [];
  let wakeAt = Number.POSITIVE_INFINITY;

  for (const fingerprint of [...entries.keys()].sort()) {
    const entry = { ...entries.get(fingerprint)! };
    const event = entry.event;

    // A flapping alert that was announced as flapping is notified when it settles, whatever its state.
    if (event.state === 'resolved' && entry.notified?.state !== 'firing' && !entry.flapNotified) {
      if (entry.pending) {
        const lastSuppression = entry.lastSuppression;
        decisions.push(
          decide(event, lastSuppression?.reason ?? 'duplicate', {
            ...suppressionIds(lastSuppression),
            detail: `resolved, and its firing was never notified to ${meta.receiver}${lastSuppression ? ` (${lastSuppression.detail})` : ''}`,
          }),
        );
      }
      removed.push(fingerprint);
      continue;
    }

    const suppression = firstSuppression(stages, { event, labels: alertLabelSet(event), flapping: entry.flapping }, route, now);
    if (suppression) {
      if (suppression.reason === 'flapping' && !entry.flapNotified) {
        notify.push({ entry, reason: 'flapping', detail: `sent as the flapping notification: ${suppression.detail}` });
        wakeAt = Math.min(wakeAt, suppression.until ?? now + route.groupIntervalMs);
        continue;
      }
      const signature = suppressionSignature(suppression);
      if (entry.pending && entry.suppressed !== signature) {
        decisions.push(decide(event, suppression.reason, { ...suppressionIds(suppression), detail: suppression.detail }));
        entry.suppressed = signature;
        entry.lastSuppression = { reason: suppression.reason, detail: suppression.detail, ...suppressionIds(suppression) };
        changed.set(fingerprint, entry);
      }
      // Silences and inhibitions are checked again at the next group interval while a transition waits, else at the next repeat.
      wakeAt = Math.min(wakeAt, suppression.until ?? now + (entry.pending ? route.groupIntervalMs : route.repeatIntervalMs));
      continue;
    }

    if (entry.flapping && entry.flapNotified) {
      notify.push({ entry, reason: 'first_notification', detail: `settled after flapping; no state change since ${new Date(entry.flapping.lastChangeAt).toISOString()}` });
      continue;
    }

    const sinceNotified = entry.notified ? now - entry.notified.at : Number.POSITIVE_INFINITY;
    if (entry.pending) {
      if (entry.notified?.state === event.state && sinceNotified < route.repeatIntervalMs) {
        decisions.push(
          decide(event, 'duplicate', { detail: `notified as ${event.state} at ${new Date(entry.notified.at).toISOString()}, within repeat_interval ${route.repeatIntervalMs} ms` }),
        );
        entry.pending = false;
        delete entry.suppressed;
        changed.set(fingerprint, entry);
        if (event.state === 'firing') carried.push(entry);
        else removed.push(fingerprint);
        continue;
      }
      notify.push({ entry, reason: entry.notified?.state === event.state ? 'repeat_interval_elapsed' : 'first_notification' });
    } else if (event.state === 'firing' && sinceNotified >= route.repeatIntervalMs) {
      notify.push({ entry, reason: 'repeat_interval_elapsed' });
    } else if (event.state === 'firing') {
      carried.push(entry);
    }
  }

  const nextMeta: GroupMeta = { ...meta };
  let notification: Notification | undefined;

  if (notify.length > 0) {
    nextMeta.sequence = meta.sequence + 1;
    nextMeta.lastNotifiedAt = now;
    const alerts = [
      ...notify.map(({ entry, reason, detail }) => (reason === 'flapping' ? markFlapping(entry.event, detail!) : entry.event)),
      ...carried.map((entry) => entry.event),
    ];
    notification = buildNotification(nextMeta, alerts, now);

    for (const { entry, reason, detail } of notify) {
      const fingerprint = entry.event.fingerprint;
      decisions.push(decide(entry.event, reason, { notificationKey: notification.idempotencyKey, ...(detail ? { detail } : {}) }));
      entry.notified = { state: entry.event.state, at: now };
      entry.pending = false;
      delete entry.suppressed;
      if (reason === 'flapping') entry.flapNotified = true;
      else if (entry.flapNotified) {
        // Settled: a later flapping episode is notified again.
        delete entry.flapping;
        delete entry.flapNotified;
      }
      if (entry.event.state === 'resolved' && reason !== 'flapping') removed.push(fingerprint);
      else changed.set(fingerprint, entry);
    }
    // Carried alerts were shown to the receiver again, so their repeat counts from now, as a group's does in Alertmanager.
    for (const entry of carried) {
      entry.notified = { state: entry.event.state, at: now };
      changed.set(entry.event.fingerprint, entry);
    }
  }

  // Notified and carried firing alerts wake the group when their repeat is due. A suppressed flapping alert wakes it when it settles (set above).
  for (const entry of [...notify.map((item) => item.entry), ...carried]) {
    if (entry.event.state === 'firing' && entry.notified) wakeAt = Math.min(wakeAt, entry.notified.at + route.repeatIntervalMs);
  }

  const remaining = entries.size - removed.length;
  if (remaining > 0 && !Number.isFinite(wakeAt)) wakeAt = now + route.repeatIntervalMs;
  nextMeta.nextFlushAt = Math.max(wakeAt, now + 1);
  return { meta: nextMeta, notification, decisions, changed, removed, empty: remaining === 0 };
}

/**
 * Builds the idempotency key of a group notification by hashing the group
 * key, the receiver, the group's notification sequence and the sorted
 * idempotency keys of the alerts it carries. A flush repeated after a crash,
 * before the new sequence was stored, builds the same key, so the notifier
 * drops it. The next notification of the group has the next sequence and so
 * a new key.
 */
export function notificationKey(groupKey: string, receiver: string, sequence: number, alerts: readonly AlertEvent[]): string {
  const hash = createHash('sha256');
  hash.update(`${groupKey}\u0000${receiver}\u0000${sequence}`);
  for (const key of alerts.map((alert) => idempotencyKey(alert)).sort()) hash.update(`\u0000${key}`);
  return `${hash.digest('hex').slice(0, 32)}:${receiver}`;
}

function buildNotification(meta: GroupMeta, alerts: AlertEvent[], now: number): Notification {
  return {
    version: 1,
    idempotencyKey: notificationKey(meta.groupKey, meta.receiver, meta.sequence, alerts),
    receiver: meta.receiver,
    alert: alerts[0]!,
    alerts,
    groupKey: meta.groupKey,
    groupLabels: meta.groupLabels,
    status: alerts.some((alert) => alert.state === 'firing') ? 'firing' : 'resolved',
    createdAt: now,
  };
}

function markFlapping(event: AlertEvent, detail: string): AlertEvent {
  return { ...event, annotations: { ...event.annotations, flapping: detail } };
}

function suppressionSignature(suppression: Suppression): string {
  return [suppression.reason, suppression.silenceId ?? '', suppression.blackoutWindow ?? '', suppression.inhibitedBy ?? ''].join('\u0000');
}

function suppressionIds(suppression: Pick<Suppression, 'silenceId' | 'blackoutWindow' | 'inhibitedBy'> | undefined): Pick<Suppression, 'silenceId' | 'blackoutWindow' | 'inhibitedBy'> {
  const ids: Pick<Suppression, 'silenceId' | 'blackoutWindow' | 'inhibitedBy'> = {};
  if (suppression?.silenceId !== undefined) ids.silenceId = suppression.silenceId;
  if (suppression?.blackoutWindow !== undefined) ids.blackoutWindow = suppression.blackoutWindow;
  if (suppression?.inhibitedBy !== undefined) ids.inhibitedBy = suppression.inhibitedBy;
  return ids;
}

/** Returns a function that builds the decisions of one group at one time. */
export function decisionMaker(groupKey: string | undefined, receiver: string | undefined, now: number) {
  return (event: AlertEvent, reason: DecisionReason, extra: Partial<DecisionFields> = {}): Decision => {
    const fields: DecisionFields = {
      ts: now,
      fingerprint: event.fingerprint,
      alertKey: idempotencyKey(event),
      state: event.state,
      rule: event.rule,
      agentId: event.agentId,
      reason,
      ...extra,
    };
    if (receiver !== undefined) fields.receiver = receiver;
    if (groupKey !== undefined) fields.groupKey = groupKey;
    return makeDecision(fields);
  };
}
