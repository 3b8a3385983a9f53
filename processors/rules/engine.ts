import type { Rule } from '../../grammar/rule-file.js';
import { renderTemplate } from '../../grammar/template.js';
import { type Clock, systemClock } from '../../pipeline/clock/index.js';
import type { AlertEvent, AlertState } from '../../pipeline/messages/alert-event.js';
import type { IngestedBatch, Sample } from '../../pipeline/messages/metric-batch.js';
import { seriesKey } from '../../pipeline/state/agent-registry.js';
import { fingerprint } from '../fingerprint.js';
import { createWindow } from '../windows/index.js';
import { type AbsentDeadline, type AgentState, type AnchoredRule, type InstanceState, newAgentState, type SeriesState } from './agent-state.js';
import { BoundContext, lastReceivedAt } from './context.js';
import { DeadlineQueue } from './deadline-queue.js';
import { evaluateLifecycle, newLifecycle } from './lifecycle.js';
import { outlierMetric, type RuntimeRule, toRuntimeRule, windowKey } from './runtime-rule.js';
import { type AgentSnapshot, type InstanceSnapshot, toSnapshotTime } from './snapshot.js';

export interface RuleEngineOptions {
  /**
   * How far behind a series' newest sample a sample may arrive and still
   * count. Older samples are dropped and counted in `stats().lateSamples`.
   */
  allowedLatenessMs: number;
  /**
   * How long a series may go without a sample before it is forgotten: its
   * firing alerts resolve and its windows are freed. Until then a silent
   * series keeps its alert state. Infinity keeps series forever.
   */
  stalenessMs?: number;
  /** Processing clock for absent() and staleness. Defaults to the system clock. */
  clock?: Clock;
}

export interface ObserveOptions {
  /**
   * When true, feeds windows and last-seen times without evaluating rules.
   * A processor sets it to rebuild windows from records that its checkpoint
   * already covers.
   */
  replay?: boolean;
}

export interface RuleEngineStats {
  agents: number;
  series: number;
  /** Alert instances whose condition has held at least once. */
  instances: number;
  /** Samples dropped because they arrived later than the allowed lateness. */
  lateSamples: number;
  /** Series forgotten because they went without a sample for the staleness limit. */
  staleSeries: number;
  /** Agents with an absent() deadline queued. */
  deadlines: number;
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
 * series and windows, not with series times rules. Rules that read absent()
 * keep one deadline per agent in a single queue, so `tick` costs nothing for
 * agents that are not due.
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
  private staleSeries = 0;
  private readonly deadlines = new DeadlineQueue<AbsentDeadline>();
  private nextSweepAt = Number.NEGATIVE_INFINITY;
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
    this.deadlines.clear();
    for (const agent of this.agents.values()) {
      agent.unanchored = this.rebind(agent.unanchored, this.unanchoredRules, agent, events);
      for (const series of agent.seriesByKey.values()) {
        series.anchored = this.rebind(series.anchored, this.rulesAnchoredOn(series), agent, events);
        this.attachWindows(series);
      }
      agent.absentDeadlines = this.absentRules.map((rule) => ({ agent, rule, deadline: 0, index: -1 }));
      this.armDeadlines(agent);
    }
    return events;
  }

  /** Feeds one batch and returns the alert transitions it caused, in order. */
  observe(batch: IngestedBatch, options: ObserveOptions = {}): AlertEvent[] {
    this.processingNow = this.clock.now();
    const agent = this.agent(batch.agentId);
    agent.tags = batch.tags;
    if (!Number.isFinite(agent.firstReceivedAt)) agent.firstReceivedAt = batch.receivedAt;
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
        if (options.replay) this.clearDirty();
        else this.evaluateDirty(agent, events);
      }
    }

    // A batch ends the agent's silence, which absent() rules must see even
    // when they read no metric of the batch.
    if (!options.replay) {
      for (const runtime of this.absentRules) {
        if (runtime.mark !== epoch) this.evaluateRule(agent, runtime, this.evaluationTime(agent), events);
      }
    }
    this.armDeadlines(agent);
    return events;
  }

  /**
   * Evaluates the absent() rules of the agents whose deadline has come and
   * drops the series that went stale, both on the processing clock. Call it
   * every second or so, but not while the processor is behind the bus,
   * because batches still queued there would make the agents look silent.
   */
  tick(): AlertEvent[] {
    this.processingNow = this.clock.now();
    const events: AlertEvent[] = [];

    for (let due = this.deadlines.popDue(this.processingNow); due; due = this.deadlines.popDue(this.processingNow)) {
      const runtime = due.rule as RuntimeRule;
      this.evaluateRule(due.agent, runtime, this.processingNow, events);
      this.rearmAfterEvaluation(due);
    }

    if (this.processingNow >= this.nextSweepAt) {
      this.sweepStaleSeries(events);
      const staleness = this.options.stalenessMs ?? Number.POSITIVE_INFINITY;
      this.nextSweepAt = this.processingNow + (Number.isFinite(staleness) ? Math.max(1_000, staleness / 10) : Number.POSITIVE_INFINITY);
    }
    return events;
  }

  /** Returns the state of the given agents for a checkpoint. Unknown ids are skipped. */
  snapshot(agentIds: Iterable<string>): AgentSnapshot[] {
    const snapshots: AgentSnapshot[] = [];
    for (const agentId of agentIds) {
      const agent = this.agents.get(agentId);
      if (!agent) continue;

      const instances: InstanceSnapshot[] = [];
      for (const entry of agent.unanchored) if (entry.instance) instances.push(instanceSnapshot(entry.instance, null));
      for (const series of agent.seriesByKey.values()) {
        for (const entry of series.anchored) {
          if (entry.instance) instances.push(instanceSnapshot(entry.instance, { metric: series.metric, labels: series.labels }));
        }
      }
      snapshots.push({
        agentId,
        tags: agent.tags,
        firstReceivedAt: toSnapshotTime(agent.firstReceivedAt),
        lastReceivedAt: toSnapshotTime(agent.lastReceivedAt),
        watermark: toSnapshotTime(agent.watermark),
        instances,
      });
    }
    return snapshots;
  }

  /**
   * Takes over agents from a checkpoint: last-seen times and alert states.
   * Instances of rules that no longer exist are left out. Replay their
   * records with `observe(batch, { replay: true })` afterwards to rebuild
   * the windows.
   */
  restore(snapshots: readonly AgentSnapshot[]): void {
    this.processingNow = this.clock.now();
    for (const snapshot of snapshots) {
      const agent = this.agent(snapshot.agentId);
      agent.tags = snapshot.tags;
      agent.firstReceivedAt = snapshot.firstReceivedAt ?? Number.NEGATIVE_INFINITY;
      agent.lastReceivedAt = snapshot.lastReceivedAt ?? Number.NEGATIVE_INFINITY;
      agent.watermark = snapshot.watermark ?? Number.NEGATIVE_INFINITY;

      for (const saved of snapshot.instances) {
        const entries = saved.anchor ? this.seriesFor(agent, saved.anchor.metric, saved.anchor.labels).anchored : agent.unanchored;
        const entry = entries.find((candidate) => candidate.rule.name === saved.rule);
        if (entry) entry.instance = restoredInstance(saved);
      }
      this.armDeadlines(agent);
    }
  }

  /** Forgets agents, such as those of a partition another replica took over. */
  drop(agentIds: Iterable<string>): void {
    for (const agentId of agentIds) {
      const agent = this.agents.get(agentId);
      if (!agent) continue;
      for (const entry of agent.absentDeadlines) this.deadlines.remove(entry);
      this.agents.delete(agentId);
    }
  }

  stats(): RuleEngineStats {
    let series = 0;
    let instances = 0;
    for (const agent of this.agents.values()) {
      series += agent.seriesByKey.size;
      for (const entry of agent.unanchored) if (entry.instance) instances++;
      for (const state of agent.seriesByKey.values()) for (const entry of state.anchored) if (entry.instance) instances++;
    }
    return { agents: this.agents.size, series, instances, lateSamples: this.lateSamples, staleSeries: this.staleSeries, deadlines: this.deadlines.size };
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
      const created = newAgentState(agentId);
      created.unanchored = this.unanchoredRules.map((rule) => ({ rule, instance: undefined }));
      created.absentDeadlines = this.absentRules.map((rule) => ({ agent: created, rule, deadline: 0, index: -1 }));
      this.agents.set(agentId, created);
      agent = created;
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
    const now = this.evaluationTime(agent);
    for (const series of this.dirtySeries) {
      series.dirty = false;
      for (const entry of series.anchored) {
        // A rule queued as a whole evaluates this instance below.
        if (entry.rule.mark !== epoch) this.evaluateEntry(agent, entry, series, now, events);
      }
    }
    for (const runtime of this.dirtyRules) this.evaluateRule(agent, runtime, now, events);
    this.dirtySeries.length = 0;
    this.dirtyRules.length = 0;
  }

  private clearDirty(): void {
    for (const series of this.dirtySeries) series.dirty = false;
    this.dirtySeries.length = 0;
    this.dirtyRules.length = 0;
  }

  /** Event time at which an agent's rules are evaluated after a batch: its newest sample time. */
  private evaluationTime(agent: AgentState): number {
    return Number.isFinite(agent.watermark) ? agent.watermark : this.processingNow;
  }

  private series(agent: AgentState, sample: Sample): SeriesState {
    return this.seriesFor(agent, sample.metric, sample.labels);
  }

  private seriesFor(agent: AgentState, metric: string, labels: Record<string, string>): SeriesState {
    const key = seriesKey(metric, labels);
    let series = agent.seriesByKey.get(key);
    if (!series) {
      series = {
        metric,
        labels,
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
      append(agent.seriesByMetric, metric, series);
      this.attachWindows(series);
    }
    return series;
  }

  /** Queues, per absent() rule, the first moment the rule could hold for the agent. */
  private armDeadlines(agent: AgentState): void {
    for (const entry of agent.absentDeadlines) {
      const deadline = this.nextAbsentDeadline(agent, entry.rule as RuntimeRule, Number.NEGATIVE_INFINITY);
      if (Number.isFinite(deadline)) this.deadlines.set(entry, deadline);
      else this.deadlines.remove(entry);
    }
  }

  /**
   * Requeues a deadline after its evaluation. A pending alert is due again
   * when its duration ends, otherwise the deadline is the next end of an
   * absent() window. A rule that fired waits for the agent's next batch.
   */
  private rearmAfterEvaluation(entry: AbsentDeadline): void {
    const runtime = entry.rule as RuntimeRule;
    const instances = this.instancesOf(entry.agent, runtime);
    const pending = instances.find((instance) => instance.lifecycle.phase === 'pending');
    if (pending) {
      this.deadlines.set(entry, pending.lifecycle.activeAt + runtime.lifecycle.durationMs);
      return;
    }
    if (instances.some((instance) => instance.lifecycle.phase === 'firing')) return;
    const next = this.nextAbsentDeadline(entry.agent, runtime, this.processingNow);
    if (Number.isFinite(next)) this.deadlines.set(entry, next);
  }

  /** Returns the earliest end of the rule's absent() windows after `after`, or Infinity when none is. */
  private nextAbsentDeadline(agent: AgentState, runtime: RuntimeRule, after: number): number {
    let deadline = Number.POSITIVE_INFINITY;
    for (const compiled of runtime.resolve ? [runtime.condition, runtime.resolve] : [runtime.condition]) {
      for (const spec of compiled.windows) {
        if (spec.fn !== 'absent') continue;
        const receivedAt = spec.selector === null ? agent.lastReceivedAt : lastReceivedAt(agent, compiled.selectors[spec.selector]!);
        const end = receivedAt + spec.rangeMs;
        if (end > after && end < deadline) deadline = end;
      }
    }
    return deadline;
  }

  private instancesOf(agent: AgentState, runtime: RuntimeRule): InstanceState[] {
    const instances: InstanceState[] = [];
    if (!runtime.anchor) {
      for (const entry of agent.unanchored) if (entry.rule === runtime && entry.instance) instances.push(entry.instance);
      return instances;
    }
    for (const series of agent.seriesByMetric.get(runtime.anchor.metric) ?? []) {
      for (const entry of series.anchored) if (entry.rule === runtime && entry.instance) instances.push(entry.instance);
    }
    return instances;
  }

  /** Forgets series without a sample for the staleness limit; their open alerts end with them. */
  private sweepStaleSeries(events: AlertEvent[]): void {
    const staleness = this.options.stalenessMs ?? Number.POSITIVE_INFINITY;
    if (!Number.isFinite(staleness)) return;

    for (const agent of this.agents.values()) {
      for (const [key, series] of agent.seriesByKey) {
        if (this.processingNow - series.lastReceivedAt < staleness) continue;

        for (const entry of series.anchored) {
          const instance = entry.instance;
          if (!instance || instance.lifecycle.phase === 'inactive') continue;
          const state: AlertState = instance.lifecycle.phase === 'firing' ? 'resolved' : 'inactive';
          instance.lifecycle.sequence++;
          instance.lifecycle.phase = 'inactive';
          events.push(this.event(agent, (entry.rule as RuntimeRule).rule, instance, state, this.processingNow, 'the series went stale'));
        }

        agent.seriesByKey.delete(key);
        const siblings = agent.seriesByMetric.get(series.metric)!;
        siblings.splice(siblings.indexOf(series), 1);
        if (siblings.length === 0) agent.seriesByMetric.delete(series.metric);
        this.staleSeries++;
      }
    }
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

  /** Evaluates every instance of a rule on one agent at `now`. */
  private evaluateRule(agent: AgentState, runtime: RuntimeRule, now: number, events: AlertEvent[]): void {
    if (!runtime.anchor) {
      const entry = agent.unanchored.find((candidate) => candidate.rule === runtime);
      if (entry) this.evaluateEntry(agent, entry, undefined, now, events);
      return;
    }
    for (const series of agent.seriesByMetric.get(runtime.anchor.metric) ?? []) {
      const entry = series.anchored.find((candidate) => candidate.rule === runtime);
      if (entry) this.evaluateEntry(agent, entry, series, now, events);
    }
  }

  private evaluateEntry(agent: AgentState, entry: AnchoredRule, anchor: SeriesState | undefined, now: number, events: AlertEvent[]): void {
    const runtime = entry.rule as RuntimeRule;
    const processingNow = this.processingNow;

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

  private event(agent: AgentState, rule: Rule, instance: InstanceState, state: AlertState, at: number, reason?: string): AlertEvent {
    const value = Number.isFinite(instance.lastValue) ? instance.lastValue : 0;
    const data = { agent: agent.agentId, value, rule: rule.name, severity: rule.severity, tags: agent.tags, labels: instance.labels };
    const annotations: Record<string, string> = {};
    for (const [name, template] of Object.entries(rule.annotations)) annotations[name] = renderTemplate(template, data);
    if (reason) annotations.reason = reason;

    const event: AlertEvent = {
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
    const outlier = outlierMetric(rule.condition.compiled);
    if (outlier !== undefined) event.outlierMetric = outlier;
    return event;
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

function instanceSnapshot(instance: InstanceState, anchor: InstanceSnapshot['anchor']): InstanceSnapshot {
  return {
    rule: instance.ruleName,
    anchor,
    fingerprint: instance.fingerprint,
    labels: instance.labels,
    lastValue: toSnapshotTime(instance.lastValue),
    phase: instance.lifecycle.phase,
    activeAt: instance.lifecycle.activeAt,
    stoppedAt: toSnapshotTime(instance.lifecycle.stoppedAt),
    sequence: instance.lifecycle.sequence,
  };
}

function restoredInstance(saved: InstanceSnapshot): InstanceState {
  return {
    ruleName: saved.rule,
    fingerprint: saved.fingerprint,
    labels: saved.labels,
    lastValue: saved.lastValue ?? Number.NaN,
    lifecycle: { phase: saved.phase, activeAt: saved.activeAt, stoppedAt: saved.stoppedAt ?? Number.NaN, sequence: saved.sequence },
  };
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
