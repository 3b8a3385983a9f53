import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import { alertLabelSet, matchesAll } from '../../pipeline/messages/matcher.js';
import type { InhibitRule } from './config.js';
import type { MuteStage, StagedAlert, Suppression } from './stage.js';

/** A firing alert that may inhibit others, as kept in the router state. */
export interface InhibitionSource {
  fingerprint: string;
  rule: string;
  labels: Record<string, string>;
}

/**
 * Suppresses an alert while a firing alert matches an inhibit rule's source
 * matchers, the alert matches its target matchers, and both have equal
 * values for every `equal` label (a label missing from both counts as
 * equal, as in Alertmanager). An alert never inhibits itself.
 *
 * The sources are the firing alerts that match some rule's source matchers.
 * The router records them as transitions arrive and passes the current set
 * to `setSources` before each flush.
 */
export class InhibitionStage implements MuteStage {
  readonly name = 'inhibition';
  private sources: readonly InhibitionSource[] = [];

  constructor(private readonly rules: readonly InhibitRule[]) {}

  /** Returns whether the router must record a transition as a source, that is, a firing alert that matches some rule's source matchers. */
  isSource(event: AlertEvent): boolean {
    if (event.state !== 'firing') return false;
    const labels = alertLabelSet(event);
    return this.rules.some((rule) => matchesAll(rule.sourceMatchers, labels));
  }

  setSources(sources: readonly InhibitionSource[]): void {
    this.sources = sources;
  }

  check(alert: StagedAlert): Suppression | undefined {
    for (const rule of this.rules) {
      if (!matchesAll(rule.targetMatchers, alert.labels)) continue;
      for (const source of this.sources) {
        if (source.fingerprint === alert.event.fingerprint) continue;
        if (!matchesAll(rule.sourceMatchers, source.labels)) continue;
        if (!rule.equal.every((name) => (source.labels[name] ?? '') === (alert.labels[name] ?? ''))) continue;
        const equal = rule.equal.map((name) => `${name}=${JSON.stringify(alert.labels[name] ?? '')}`).join(', ');
        return {
          reason: 'inhibited',
          inhibitedBy: source.fingerprint,
          detail: `inhibited by firing alert ${source.rule} (${source.fingerprint})${equal ? ` with equal ${equal}` : ''}`,
        };
      }
    }
    return undefined;
  }
}
