import type { Rule } from '../../grammar/rule-file.js';
import { renderTemplate } from '../../grammar/template.js';
import { type Clock, systemClock } from '../../pipeline/clock/index.js';
import type { AlertEvent, AlertState } from '../../pipeline/messages/alert-event.js';
import type { IngestedBatch, Sample } from '../../pipeline/messages/metric-batch.js';
import { seriesKey } from '../../pipeline/state/agent-registry.js';
import { fingerprint } from '../fingerprint.js';
import { createWindow } from '../windows/index.js';
import { type AgentState, type AnchoredRule, type InstanceState, newAgentState, type SeriesState } from './agent-state.js';
import { BoundContext } from './context.js';
import { evaluateLifecycle, newLifecycle } from './lifecycle.js';
import { type RuntimeRule, toRuntimeRule, windowKey } from './runtime-rule.js';

export interface RuleEngineOptions {
  /**
   * How far behind a series' newest sample a sample may arrive and still
   * count. Older samples are dropped and counted in `stats().lateSamples`.
   */
  allowedLatenessMs: number;
  /** Processing clock for absent(); the system clock unless given. */
  clock?: Clock;
}

export interface RuleEngineStats {
  agents: number;
  series: number;
  /** Alert instances whose condition has held at least once. */
  instances: number;
  /** Samples dropped because they arrived later than the allowed lateness. */
  lateSamples: number;
}

/**
 * Evaluates DSL rules on the metric stream, per agent and per series of each
 * rule's anchor selector, and turns condition changes into alert
 * transitions through the lifecycle (pending, firing, resolved).
 *
 * Windows use event time: the samples' own timestamps. A series' anchored
 * rules are evaluated when it gets a sample, at the agent's newest sample
 * time, once per distinct sample time in a batch; so a batch that spans
 * minutes (an agent catching up after an outage) still passes through every
 * intermediate state. absent() uses the processing clock and gateway receive
 * times instead; `tick` evaluates the rules that read it.
 *
 * Instances whose condition never held keep no state, so memory grows with
 * series and windows, not with series times rules.
 *
 * ```ts
 * const engine = new RuleEngine(rules, { allowedLatenessMs: 60_000 });
 * const transitions = engine.observe(batch);
 * ```
 */
export class RuleEngine {
  private rules: RuntimeRule[] = [];
  /** Rules by the metric of their anchor selector; a new series of that metric may anchor them. */
  private anchoredByMetric = new Map<string, RuntimeRule[]>();
  /** Rules to re-evaluate on the whole agent when a sample of the metric arrives. */
  private secondaryByMetric = new Map<string, RuntimeRule[]>();
  private unanchoredRules: RuntimeRule[] = [];
  private absentRules: RuntimeRule[] = [];
  private readonly agents = new Map<string, AgentState>();
  private readonly context = new BoundContext();
  private readonly resolveContext = new BoundContext();
  private readonly clock: Clock;
  private lateSamples = 0;
  private epoch = 0;
  /** Processing time of the current observe or tick call, read once per call. */
  private processingNow = 0;
  private readonly dirtySeries: SeriesState[] = [];
  private readonly dirtyRules: RuntimeRule[] = [];

  constructor(rules: readonly Rule[], private readonly options: RuleEngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.setRules(rules);
  }

  /**
   * Replaces the rule set at once. Alerts of rules that keep their name keep
   * their state; firing alerts of rules that are gone resolve, and their
   * resolutions are returned. New windows start empty.
   */
  setRules(rules: readonly Rule[]): AlertEvent[] {
    this.processingNow = this.clock.now();
    this.rules = rules.map(toRuntimeRule);
    this.anchoredByMetric = new Map();
    this.secondaryByMetric = new Map();
    for (const runtime of this.rules) {
      if (runtime.anchor) append(this.anchoredByMetric, runtime.anchor.metric, runtime);
      const secondary = runtime.anchor ? runtime.secondaryMetrics : runtime.metrics;
      for (const metric of secondary) append(this.secondaryByMetric, metric, runtime);
    }
    this.unanchoredRules = this.rules.filter((runtime) => !runtime.anchor);
    this.absentRules = this.rules.filter((runtime) => runtime.readsAbsent);

    const events: AlertEvent[] = [];
    for (const agent of this.agents.values()) {
      agent.unanchored = this.rebind(agent.unanchored, this.unanchoredRules, agent, events);
      for (const series of agent.seriesByKey.values()) {
        series.anchored = this.rebind(series.anchored, this.rulesAnchoredOn(series), agent, events);
        this.attachWindows(series);
      }
    }
    return events;
  }

  /** Feeds one batch and returns the alert transitions it caused, in order. */
  observe(batch: IngestedBatch): AlertEvent[] {
    this.processingNow = this.clock.now();
    const agent = this.agent(batch.agentId);
    agent.tags = batch.tags;
    agent.lastReceivedAt = Math.max(agent.lastReceivedAt, batch.receivedAt);

    const samples = isSortedByTime(batch.samples) ? batch.samples : [...batch.samples].sort((a, b) => a.ts - b.ts);
    const events: AlertEvent[] = [];
    const epoch = ++this.epoch;

    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      this.ingest(agent, sample, batch.receivedAt, epoch);

      const groupEnds = i + 1 === samples.length || samples[i + 1]!.ts !== sample.ts;
      if (groupEnds) {
        agent.watermark = Math.max(agent.watermark, sample.ts);
        this.evaluateDirty(agent, events);
      }
    }

    // A batch ends the agent's silence, which absent() rules must see even
    // when they read no metric of the batch.
    for (const runtime of this.absentRules) {
      if (runtime.mark !== epoch) this.evaluateRule(agent, runtime, events);
    }
    return events;
  }

  /**
   * Evaluates the rules that read absent() for every agent, at the
   * processing clock's time; call it every second or so.
   */
  tick(): AlertEvent[] {
    const events: AlertEvent[] = [];
    if (this.absentRules.length === 0) return events;
    this.processingNow = this.clock.now();
    for (const agent of this.agents.values()) {
      for (const runtime of this.absentRules) this.evaluateRule(agent, runtime, events);
    }
    return events;
  }

  stats(): RuleEngineStats {
    let series = 0;
    let instances = 0;
    for (const agent of this.agents.values()) {
      series += agent.seriesByKey.size;
      for (const entry of agent.unanchored) if (entry.instance) instances++;
      for (const state of agent.seriesByKey.values()) for (const entry of state.anchored) if (entry.instance) instances++;
    }
    return { agents: this.agents.size, series, instances, lateSamples: this.lateSamples };
  }

  /** Longest window any rule reads, in milliseconds: how much history a restarted engine must replay. */
  get longestWindowMs(): number {
    let longest = 0;
    for (const runtime of this.rules) {
      longest = Math.max(longest, runtime.condition.longestWindowMs, runtime.resolve?.longestWindowMs ?? 0);
    }
    return longest;
  }

  private agent(agentId: string): AgentState {
    let agent = this.agents.get(agentId);
    if (!agent) {
      agent = newAgentState(agentId);
      agent.unanchored = this.unanchoredRules.map((rule) => ({ rule, instance: undefined }));
      this.agents.set(agentId, agent);
    }
    return agent;
  }

  private ingest(agent: AgentState, sample: Sample, receivedAt: number, epoch: number): void {
    const series = this.series(agent, sample);
    if (sample.ts < series.lastTs - this.options.allowedLatenessMs) {
      this.lateSamples++;
      return;
    }

    for (const window of series.windows.values()) {
      if (!window.add(sample.ts, sample.value)) this.lateSamples++;
    }
    if (sample.ts >= series.lastTs) {
      series.lastTs = sample.ts;
      series.lastValue = sample.value;
    }
    if (receivedAt > series.lastReceivedAt) series.lastReceivedAt = receivedAt;

    if (!series.dirty && series.anchored.length > 0) {
      series.dirty = true;
      this.dirtySeries.push(series);
    }
    const secondary = this.secondaryByMetric.get(sample.metric);
    if (secondary) {
      for (const runtime of secondary) {
        if (runtime.mark === epoch) continue;
        runtime.mark = epoch;
        this.dirtyRules.push(runtime);
      }
    }
  }

  /** Evaluates what the samples of one timestamp group touched, each rule instance once. */
  private evaluateDirty(agent: AgentState, events: AlertEvent[]): void {
    const epoch = this.epoch;
    for (const series of this.dirtySeries) {
      series.dirty = false;
      for (const entry of series.anchored) {
        // A rule queued as a whole evaluates this instance below.
        if (entry.rule.mark !== epoch) this.evaluateEntry(agent, entry, series, events);
      }
    }
    for (const runtime of this.dirtyRules) this.evaluateRule(agent, runtime, events);
    this.dirtySeries.length = 0;
    this.dirtyRules.length = 0;
  }

  private series(agent: AgentState, sample: Sample): SeriesState {
    const key = seriesKey(sample.metric, sample.labels);
    let series = agent.seriesByKey.get(key);
    if (!series) {
      series = {
        metric: sample.metric,
        labels: sample.labels,
        key,
        lastTs: Number.NEGATIVE_INFINITY,
        lastValue: Number.NaN,
        lastReceivedAt: Number.NEGATIVE_INFINITY,
        windows: new Map(),
        anchored: [],
        dirty: false,
      };
      series.anchored = this.rulesAnchoredOn(series).map((rule) => ({ rule, instance: undefined }));
      agent.seriesByKey.set(key, series);
      append(agent.seriesByMetric, sample.metric, series);
      this.attachWindows(series);
    }
    return series;
  }

  private rulesAnchoredOn(series: SeriesState): RuntimeRule[] {
    return (this.anchoredByMetric.get(series.metric) ?? []).filter((runtime) => runtime.anchor!.matches(series.labels));
  }

  /** Maps entries onto a new rule list by rule name; resolves firing instances whose rule is gone. */
  private rebind(entries: AnchoredRule[], rules: RuntimeRule[], agent: AgentState, events: AlertEvent[]): AnchoredRule[] {
    const previous = new Map(entries.map((entry) => [entry.rule.name, entry.instance]));
    const next = rules.map((rule) => ({ rule, instance: previous.get(rule.name) }));
    const kept = new Set(rules.map((rule) => rule.name));
    for (const entry of entries) {
      if (kept.has(entry.rule.name) || entry.instance?.lifecycle.phase !== 'firing') continue;
      entry.instance.lifecycle.sequence++;
      events.push(this.retiredResolution(agent, entry.instance));
    }
    return next;
  }

  /** Creates the windows that any rule reads over this series; keeps those it already has. */
  private attachWindows(series: SeriesState): void {
    for (const runtime of this.rules) {
      for (const compiled of runtime.resolve ? [runtime.condition, runtime.resolve] : [runtime.condition]) {
        for (const spec of compiled.windows) {
          if (spec.selector === null || spec.fn === 'absent') continue;
          const selector = compiled.selectors[spec.selector]!;
          if (selector.metric !== series.metric || !selector.matches(series.labels)) continue;
          const key = windowKey(spec);
          if (!series.windows.has(key)) series.windows.set(key, createWindow(spec));
        }
      }
    }
  }

  /** Evaluates every instance of a rule on one agent. */
  private evaluateRule(agent: AgentState, runtime: RuntimeRule, events: AlertEvent[]): void {
    if (!runtime.anchor) {
      const entry = agent.unanchored.find((candidate) => candidate.rule === runtime);
      if (entry) this.evaluateEntry(agent, entry, undefined, events);
      return;
    }
    for (const series of agent.seriesByMetric.get(runtime.anchor.metric) ?? []) {
      const entry = series.anchored.find((candidate) => candidate.rule === runtime);
      if (entry) this.evaluateEntry(agent, entry, series, events);
    }
  }

  private evaluateEntry(agent: AgentState, entry: AnchoredRule, anchor: SeriesState | undefined, events: AlertEvent[]): void {
    const runtime = entry.rule as RuntimeRule;
    const processingNow = this.processingNow;
    const now = Number.isFinite(agent.watermark) ? agent.watermark : processingNow;

    const context = this.context.bind(agent, runtime.condition, runtime.conditionWindowKeys, anchor, runtime.anchor, now, processingNow);
    const holds = runtime.condition.evaluate(context);

    // An instance whose condition never held has nothing to remember.
    let instance = entry.instance;
    if (!instance) {
      if (!holds) return;
      instance = this.newInstance(agent, runtime, anchor);
      entry.instance = instance;
    }

    // The resolve condition matters only to a firing alert.
    let resolveHolds = false;
    if (runtime.resolve && instance.lifecycle.phase === 'firing') {
      const resolveContext = this.resolveContext.bind(agent, runtime.resolve, runtime.resolveWindowKeys, anchor, runtime.anchor, now, processingNow);
      resolveHolds = runtime.resolve.evaluate(resolveContext);
    }

    const state = evaluateLifecycle(instance.lifecycle, runtime.lifecycle, { now, holds, resolveHolds });
    if (state === undefined) return;

    const value = runtime.condition.value(context);
    if (Number.isFinite(value)) instance.lastValue = value;
    events.push(this.event(agent, runtime.rule, instance, state, now));
  }

  private newInstance(agent: AgentState, runtime: RuntimeRule, anchor: SeriesState | undefined): InstanceState {
    const labels = { ...(anchor?.labels ?? {}), ...runtime.rule.labels, alertname: runtime.name, agent: agent.agentId };
    return { ruleName: runtime.name, fingerprint: fingerprint(runtime.name, labels), labels, lifecycle: newLifecycle(), lastValue: Number.NaN };
  }

  private event(agent: AgentState, rule: Rule, instance: InstanceState, state: AlertState, at: number): AlertEvent {
    const value = Number.isFinite(instance.lastValue) ? instance.lastValue : 0;
    const data = { agent: agent.agentId, value, rule: rule.name, severity: rule.severity, tags: agent.tags, labels: instance.labels };
    const annotations: Record<string, string> = {};
    for (const [name, template] of Object.entries(rule.annotations)) annotations[name] = renderTemplate(template, data);

    return {
      version: 1,
      fingerprint: instance.fingerprint,
      sequence: instance.lifecycle.sequence,
      rule: rule.name,
      state,
      severity: rule.severity,
      agentId: agent.agentId,
      labels: instance.labels,
      tags: agent.tags,
      annotations,
      value,
      activeAt: instance.lifecycle.activeAt,
      at,
      notify: rule.notify,
    };
  }

  /** The resolution of a firing alert whose rule was removed. */
  private retiredResolution(agent: AgentState, instance: InstanceState): AlertEvent {
    const at = Number.isFinite(agent.watermark) ? agent.watermark : this.processingNow;
    return {
      version: 1,
      fingerprint: instance.fingerprint,
      sequence: instance.lifecycle.sequence,
      rule: instance.ruleName,
      state: 'resolved',
      severity: 'info',
      agentId: agent.agentId,
      labels: instance.labels,
      tags: agent.tags,
      annotations: { reason: 'the rule was removed' },
      value: Number.isFinite(instance.lastValue) ? instance.lastValue : 0,
      activeAt: instance.lifecycle.activeAt,
      at,
      notify: [],
    };
  }
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function isSortedByTime(samples: readonly Sample[]): boolean {
  for (let i = 1; i < samples.length; i++) if (samples[i]!.ts < samples[i - 1]!.ts) return false;
  return true;
}
