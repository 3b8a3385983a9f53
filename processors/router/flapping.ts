import { type AlertEvent, type AlertState, idempotencyKey } from '../../pipeline/messages/alert-event.js';
import type { FlappingConfig } from './config.js';
import type { FlappingStatus, MuteStage, StagedAlert, Suppression } from './stage.js';

/** Router state of one fingerprint, kept across groups and restarts. */
export interface AlertTrack {
  /** Idempotency key of the last transition seen. */
  key: string;
  /** Keys of the latest transitions, newest last, at most RECENT_KEYS. A transition with any of them is a replay. */
  recentKeys?: string[];
  /** Event time of the last transition seen. A transition with an older one is a replay. */
  at?: number;
  state: AlertState;
  /** Event times of the state changes within the flapping window, oldest first. */
  changes: number[];
  /** Event time at which the alert started flapping, absent while it does not flap. */
  flappingSince?: number;
}

export interface FlappingObservation {
  track: AlertTrack;
  /** Set while the alert flaps. */
  status?: FlappingStatus;
  /** True when the transition was seen before or is older than the last one seen. `replayDetail` names which. */
  replay: boolean;
  replayDetail?: string;
}

/**
 * Max keys remembered per fingerprint. Replays older than the last transition seen are
 * recognised by their event time, so the keys only need to cover transitions at that same time.
 */
const RECENT_KEYS = 32;

/**
 * Counts an alert's state changes over event time and returns the new track
 * and flapping status. An alert that changes state more than `max_changes`
 * times within `window` flaps until it has not changed for `settle_after`.
 * A transition seen before, or older than the last one, is marked as a
 * replay and leaves the track as it was. The function is pure, so the router
 * stores the returned track.
 */
export function observeFlapping(previous: AlertTrack | undefined, event: AlertEvent, config: FlappingConfig): FlappingObservation {
  const key = idempotencyKey(event);
  if (previous && (previous.key === key || previous.recentKeys?.includes(key))) {
    return { track: previous, replay: true, replayDetail: 'the same transition arrived again, such as after a restart; it was routed before', status: statusOf(previous) };
  }
  // A processor that takes over a partition re-derives transitions from before its checkpoint, which are older than what was routed.
  if (previous?.at !== undefined && event.at < previous.at) {
    return { track: previous, replay: true, replayDetail: `older than the ${previous.state} transition already routed; a replay after a processor failover`, status: statusOf(previous) };
  }

  const at = event.at;
  const changes = (previous?.changes ?? []).filter((time) => time > at - config.window);
  const lastChangeAt = previous?.changes.at(-1);
  if (!previous || previous.state !== event.state) changes.push(at);

  let flappingSince = previous?.flappingSince;
  // Settled: no change for settle_after before this one.
  if (flappingSince !== undefined && lastChangeAt !== undefined && at - lastChangeAt >= config.settle_after) flappingSince = undefined;
  if (config.max_changes > 0 && changes.length > config.max_changes && flappingSince === undefined) flappingSince = at;

  const recentKeys = [...(previous?.recentKeys ?? []), key].slice(-RECENT_KEYS);
  const track: AlertTrack = { key, recentKeys, at, state: event.state, changes };
  if (flappingSince !== undefined) track.flappingSince = flappingSince;
  return { track, replay: false, status: statusOf(track) };
}

function statusOf(track: AlertTrack): FlappingStatus | undefined {
  if (track.flappingSince === undefined) return undefined;
  return { since: track.flappingSince, lastChangeAt: track.changes.at(-1) ?? track.flappingSince, changes: track.changes.length };
}

/** Returns whether a flapping alert has settled by `now`, that is, has not changed state for settle_after. */
export function hasSettled(status: FlappingStatus, now: number, config: FlappingConfig): boolean {
  return now - status.lastChangeAt >= config.settle_after;
}

/**
 * Holds the transitions of a flapping alert until it settles. The router
 * sends one flapping notification when the alert starts flapping and one
 * with its state once it has settled. This stage only decides the holding.
 */
export class FlappingStage implements MuteStage {
  readonly name = 'flapping';

  constructor(private readonly config: FlappingConfig) {}

  check(alert: StagedAlert, _route: unknown, now: number): Suppression | undefined {
    const status = alert.flapping;
    if (!status || hasSettled(status, now, this.config)) return undefined;
    return {
      reason: 'flapping',
      until: status.lastChangeAt + this.config.settle_after,
      detail: `changed state ${status.changes} times within ${Math.round(this.config.window / 1_000)} s; held until it has not changed for ${Math.round(this.config.settle_after / 1_000)} s`,
    };
  }
}
