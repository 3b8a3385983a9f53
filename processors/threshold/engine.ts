import type { AlertEvent, Severity } from '../../pipeline/messages/alert-event.js';
import type { IngestedBatch, Sample } from '../../pipeline/messages/metric-batch.js';
import { seriesKey } from '../../pipeline/state/agent-registry.js';
import { fingerprint } from '../fingerprint.js';
import type { Comparison, ThresholdRule } from './config.js';

const COMPARE: Record<Comparison, (value: number, threshold: number) => boolean> = {
  '>': (value, threshold) => value > threshold,
  '>=': (value, threshold) => value >= threshold,
  '<': (value, threshold) => value < threshold,
  '<=': (value, threshold) => value <= threshold,
  '==': (value, threshold) => value === threshold,
  '!=': (value, threshold) => value !== threshold,
};

interface SeriesState {
  fingerprint: string;
  labels: Record<string, string>;
  firing: boolean;
  activeAt: number;
  /** Event time of the newest sample seen; older samples are ignored. */
  lastTs: number;
  sequence: number;
}

/**
 * Evaluates threshold rules sample by sample: a series starts firing on the
 * first sample that crosses its threshold and resolves on the first that
 * does not. Each transition becomes one AlertEvent.
 */
export class ThresholdEngine {
  private readonly byMetric = new Map<string, ThresholdRule[]>();
  /** State per rule and series, keyed `rule\u0000agent\u0000series`. */
  private readonly states = new Map<string, SeriesState>();

  constructor(rules: readonly ThresholdRule[]) {
    for (const rule of rules) {
      const list = this.byMetric.get(rule.metric) ?? [];
      list.push(rule);
      this.byMetric.set(rule.metric, list);
    }
  }

  /** Evaluates every sample of a batch in timestamp order and returns the transitions. */
  observe(batch: IngestedBatch): AlertEvent[] {
    const events: AlertEvent[] = [];
    const samples = [...batch.samples].sort((a, b) => a.ts - b.ts);
    for (const sample of samples) {
      const rules = this.byMetric.get(sample.metric);
      if (!rules) continue;
      for (const rule of rules) {
        if (!matches(rule.match, sample.labels)) continue;
        const event = this.evaluate(rule, batch, sample);
        if (event) events.push(event);
      }
    }
    return events;
  }

  private evaluate(rule: ThresholdRule, batch: IngestedBatch, sample: Sample): AlertEvent | undefined {
    const key = `${rule.name}\u0000${batch.agentId}\u0000${seriesKey(sample.metric, sample.labels)}`;
    let state = this.states.get(key);
    if (!state) {
      const labels = { ...sample.labels, ...rule.labels, alertname: rule.name, agent: batch.agentId };
      // TODO: the sequence restarts at 0 when the processor restarts; alert state and sequences are not checkpointed yet.
      state = { fingerprint: fingerprint(rule.name, labels), labels, firing: false, activeAt: 0, lastTs: Number.NEGATIVE_INFINITY, sequence: 0 };
      this.states.set(key, state);
    }
    if (sample.ts <= state.lastTs) return undefined;
    state.lastTs = sample.ts;

    const crossing = COMPARE[rule.op](sample.value, rule.threshold);
    if (crossing === state.firing) return undefined;

    state.firing = crossing;
    state.sequence++;
    if (crossing) state.activeAt = sample.ts;

    return {
      version: 1,
      fingerprint: state.fingerprint,
      sequence: state.sequence,
      rule: rule.name,
      state: crossing ? 'firing' : 'resolved',
      severity: rule.severity as Severity,
      agentId: batch.agentId,
      labels: state.labels,
      tags: batch.tags,
      annotations: rule.annotations,
      value: sample.value,
      activeAt: state.activeAt,
      at: sample.ts,
      notify: rule.notify,
    };
  }
}

function matches(match: Record<string, string>, labels: Record<string, string>): boolean {
  for (const key in match) {
    if (labels[key] !== match[key]) return false;
  }
  return true;
}
