import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import type { ResolvedRoute } from './routing.js';

/** Flapping status of an alert as of its latest state change, copied into each group that contains the alert. */
export interface FlappingStatus {
  /** Event time at which the alert started flapping, ms since epoch. */
  since: number;
  /** Event time of its latest state change. */
  lastChangeAt: number;
  /** State changes within the flapping window at that change. */
  changes: number;
}

/** An alert as the suppression stages see it at a group flush. */
export interface StagedAlert {
  event: AlertEvent;
  /** The alert's labels and tags, see alertLabelSet. */
  labels: Readonly<Record<string, string>>;
  flapping?: FlappingStatus;
}

/** A stage's reason for holding back an alert. `reason` is the decision reason that the alert is logged under. */
export interface Suppression {
  reason: 'inhibited' | 'silenced' | 'blackout_window' | 'flapping';
  silenceId?: string;
  blackoutWindow?: string;
  inhibitedBy?: string;
  detail: string;
  /** Time at which the suppression ends by itself (the end of a blackout, a flapping alert's settle time), ms since epoch. */
  until?: number;
}

/**
 * One step of the notification path that may hold an alert back. Stages run
 * in a fixed order at each flush of a group (inhibition, silences, blackout
 * windows, flapping) and the first suppression wins, so the decision names
 * one reason. `now` is the router's clock.
 */
export interface MuteStage {
  readonly name: string;
  check(alert: StagedAlert, route: ResolvedRoute, now: number): Suppression | undefined;
}

/** Runs the stages in order and returns the first suppression, or undefined when the alert passes them all. */
export function firstSuppression(stages: readonly MuteStage[], alert: StagedAlert, route: ResolvedRoute, now: number): Suppression | undefined {
  for (const stage of stages) {
    const suppression = stage.check(alert, route, now);
    if (suppression) return suppression;
  }
  return undefined;
}
