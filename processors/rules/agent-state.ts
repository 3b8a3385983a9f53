import type { Selector } from '../../grammar/compile.js';
import type { SlidingWindow } from '../windows/index.js';
import type { Deadline } from './deadline-queue.js';
import type { Lifecycle } from './lifecycle.js';

/** One series of an agent: a metric with one label set. */
export interface SeriesState {
  metric: string;
  labels: Record<string, string>;
  /** `metric{label="value",...}` with labels in key order; unique within the agent. */
  key: string;
  /** Event time and value of the newest sample. */
  lastTs: number;
  lastValue: number;
  /** Gateway receive time of the newest batch that carried this series. */
  lastReceivedAt: number;
  /** Windows the rules read over this series, keyed by `windowKey`. */
  windows: Map<string, SlidingWindow>;
  /** Rules whose anchor selector matches this series: they are evaluated when it gets a sample. */
  anchored: AnchoredRule[];
  /** Set while the series waits, in the current batch, for its anchored rules to be evaluated. */
  dirty: boolean;
}

/** A rule anchored on a series, with the alert instance it has there once its condition first held. */
export interface AnchoredRule {
  rule: RuntimeRuleRef;
  instance: InstanceState | undefined;
}

/** What agent-state needs of a runtime rule; the engine's RuntimeRule fits it. */
export interface RuntimeRuleRef {
  readonly name: string;
  /** Batch-local stamp set when the whole rule is queued for evaluation. */
  mark: number;
}

/** One alert instance: a rule on one anchor series (or on the agent as a whole). */
export interface InstanceState {
  ruleName: string;
  fingerprint: string;
  labels: Record<string, string>;
  lifecycle: Lifecycle;
  /** The value at the last evaluation, for a resolution that has no fresher one. */
  lastValue: number;
}

/** What the engine knows of one agent. */
export interface AgentState {
  agentId: string;
  tags: Record<string, string>;
  /** Newest sample time seen from this agent: the event time at which its rules are evaluated. */
  watermark: number;
  /** Gateway receive time of the agent's first batch. absent(metric, w) counts a metric the agent never sent from this time. */
  firstReceivedAt: number;
  /** Gateway receive time of the agent's newest batch. */
  lastReceivedAt: number;
  seriesByKey: Map<string, SeriesState>;
  seriesByMetric: Map<string, SeriesState[]>;
  /** Rules without an anchor, evaluated once per agent, with the agent's instance of each. */
  unanchored: AnchoredRule[];
  /** Next evaluation time of each rule that reads absent() for this agent, one entry per such rule. */
  absentDeadlines: AbsentDeadline[];
}

/** Deadline-queue entry for the next moment an absent() rule could start to hold for an agent. */
export interface AbsentDeadline extends Deadline {
  agent: AgentState;
  rule: RuntimeRuleRef;
}

export function newAgentState(agentId: string): AgentState {
  return {
    agentId,
    tags: {},
    watermark: Number.NEGATIVE_INFINITY,
    firstReceivedAt: Number.NEGATIVE_INFINITY,
    lastReceivedAt: Number.NEGATIVE_INFINITY,
    seriesByKey: new Map(),
    seriesByMetric: new Map(),
    unanchored: [],
    absentDeadlines: [],
  };
}

/**
 * Finds the series of `selector` that pairs with `anchor`: same agent, same
 * value for every label both carry, except labels that either selector's
 * matchers name. When several qualify, the one with the newest sample wins.
 */
export function joinSeries(agent: AgentState, selector: Selector, anchor: SeriesState | undefined, anchorSelector: Selector | undefined): SeriesState | undefined {
  const candidates = agent.seriesByMetric.get(selector.metric);
  if (!candidates) return undefined;

  let best: SeriesState | undefined;
  for (const candidate of candidates) {
    if (!selector.matches(candidate.labels)) continue;
    if (anchor && !pairs(anchor, candidate, selector, anchorSelector)) continue;
    if (!best || candidate.lastTs > best.lastTs) best = candidate;
  }
  return best;
}

function pairs(anchor: SeriesState, candidate: SeriesState, selector: Selector, anchorSelector: Selector | undefined): boolean {
  for (const label in anchor.labels) {
    if (!Object.hasOwn(candidate.labels, label)) continue;
    if (namedBy(selector, label) || (anchorSelector && namedBy(anchorSelector, label))) continue;
    if (candidate.labels[label] !== anchor.labels[label]) return false;
  }
  return true;
}

function namedBy(selector: Selector, label: string): boolean {
  for (const matcher of selector.matchers) if (matcher.label === label) return true;
  return false;
}
