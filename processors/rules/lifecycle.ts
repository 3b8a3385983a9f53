import type { AlertState } from '../../pipeline/messages/alert-event.js';

/** Where an alert instance stands between transitions. */
export type Phase = 'inactive' | 'pending' | 'firing';

/** The timing settings of a rule that the lifecycle reads. */
export interface LifecycleRule {
  /** How long the condition must hold before the alert fires, in milliseconds. */
  durationMs: number;
  /** How long a firing alert stays firing after it stopped qualifying, in milliseconds. */
  keepFiringForMs: number;
  /** Whether the rule has a `resolve` condition, which then alone decides resolution. */
  hasResolve: boolean;
}

/** The state of one alert instance (a rule on one series of one agent). */
export interface Lifecycle {
  phase: Phase;
  /** Event time at which the condition started to hold in the current episode. */
  activeAt: number;
  /**
   * Event time of the first evaluation at which the firing alert stopped
   * qualifying; NaN while it qualifies. keep_firing_for counts from here, as
   * in Prometheus.
   */
  stoppedAt: number;
  /** Number of transitions so far; the next transition gets sequence + 1. */
  sequence: number;
}

/** One evaluation's inputs. */
export interface Evaluation {
  /** Event time of the evaluation. */
  now: number;
  /** Whether the condition holds. */
  holds: boolean;
  /** Whether the resolve condition holds; read only when the rule has one. */
  resolveHolds: boolean;
}

export const newLifecycle = (): Lifecycle => ({ phase: 'inactive', activeAt: 0, stoppedAt: Number.NaN, sequence: 0 });

/**
 * Advances an alert instance by one evaluation and returns the state of the
 * transition it made, or undefined when it made none. Transitions:
 *
 * - inactive → pending when the condition starts to hold (→ firing at once
 *   when the duration is 0);
 * - pending → firing once the condition has held for the duration;
 * - pending → inactive when the condition stops holding first;
 * - firing → resolved once the alert has not qualified for keep_firing_for
 *   (at once when that is 0). Without a resolve condition a firing alert
 *   qualifies while its condition holds; with one, until the resolve
 *   condition holds (hysteresis).
 *
 * Times are event times, so the duration is measured between samples, not
 * on the wall clock.
 */
export function evaluateLifecycle(state: Lifecycle, rule: LifecycleRule, evaluation: Evaluation): AlertState | undefined {
  const { now, holds } = evaluation;

  switch (state.phase) {
    case 'inactive': {
      if (!holds) return undefined;
      state.activeAt = now;
      state.stoppedAt = Number.NaN;
      if (rule.durationMs === 0) return transition(state, 'firing');
      return transition(state, 'pending');
    }

    case 'pending': {
      if (!holds) return transition(state, 'inactive');
      if (now - state.activeAt >= rule.durationMs) return transition(state, 'firing');
      return undefined;
    }

    case 'firing': {
      const qualifies = rule.hasResolve ? !evaluation.resolveHolds : holds;
      if (qualifies) {
        state.stoppedAt = Number.NaN;
        return undefined;
      }
      if (Number.isNaN(state.stoppedAt)) state.stoppedAt = now;
      if (now - state.stoppedAt < rule.keepFiringForMs) return undefined;
      return transition(state, 'resolved');
    }
  }
}

function transition(state: Lifecycle, to: AlertState): AlertState {
  state.sequence++;
  state.phase = to === 'pending' || to === 'firing' ? to : 'inactive';
  return to;
}
