import type { Selector } from '../../grammar/compile.js';
import type { Rule } from '../../grammar/rule-file.js';
import { renderTemplate } from '../../grammar/template.js';
import { type Clock, systemClock } from '../../pipeline/clock/index.js';
import type { AlertEvent, AlertState } from '../../pipeline/messages/alert-event.js';
import type { IngestedBatch, Sample } from '../../pipeline/messages/metric-batch.js';
import { seriesKey } from '../../pipeline/state/agent-registry.js';
import { fingerprint } from '../fingerprint.js';
import { createWindow } from '../windows/index.js';
import { type AgentState, type InstanceState, newAgentState, type SeriesState } from './agent-state.js';
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
  instances: number;
  /** Samples dropped because they arrived later than the allowed lateness. */
  lateSamples: number;
}

/** The key that identifies an alert instance within its agent. */
const instanceKey = (ruleName: string, anchorKey: string): string => `${ruleName}\u0000${anchorKey}`;

/**
 * Evaluates DSL rules on the metric stream, per agent and per series of each
 * rule's anchor selector, and turns condition changes into alert
 * transitions through the lifecycle (pending, firing, resolved).
 *
 * Windows use event time: the samples' own timestamps. Each agent's rules
 * are evaluated at the agent's newest sample time, once per distinct sample
 * time in a batch, so a batch that spans minutes (an agent catching up after
 * an outage) still passes through every intermediate state. absent() uses
 * the processing clock and gateway receive times instead; `tick` evaluates
 * the rules that read it.
 *
 * ```ts
 * const engine = new RuleEngine(rules, { allowedLatenessMs: 60_000 });
 * const transitions = engine.observe(batch);
 * ```
 */
export class RuleEngine {
  private rules: RuntimeRule[] = [];
  private rulesByMetric = new Map<string, RuntimeRule[]>();
  private absentRules: RuntimeRule[] = [];
  private readonly agents = new Map<string, AgentState>();
  private readonly context = new BoundContext();
  private readonly resolveContext = new BoundContext();
  private readonly clock: Clock;
  private lateSamples = 0;

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
    this.rules = rules.map(toRuntimeRule);
    this.rulesByMetric = new Map();
    for (const runtime of this.rules) {
      for (const metric of runtime.metrics) {
        const list = this.rulesByMetric.get(metric) ?? [];
        list.push(runtime);
        this.rulesByMetric.set(metric, list);
      }
    }
    this.absentRules = this.rules.filter((runtime) => runtime.readsAbsent);

    const names = new Set(rules.map((rule) => rule.name));
    const events: AlertEvent[] = [];
    for (const agent of this.agents.values()) {
      for (const [key, instance] of agent.instances) {
        if (names.has(instance.ruleName)) continue;
        agent.instances.delete(key);
        if (instance.lifecycle.phase === 'firing') {
          instance.lifecycle.sequence++;
          events.push(this.retiredResolution(agent, instance));
        }
      }
      for (const series of agent.seriesByKey.values()) this.attachWindows(series);
    }
    return events;
  }

  /** Feeds one batch and returns the alert transitions it caused, in order. */
  observe(batch: IngestedBatch): AlertEvent[] {
    const agent = this.agent(batch.agentId);
    agent.tags = batch.tags;
    agent.lastReceivedAt = Math.max(agent.lastReceivedAt, batch.receivedAt);

    const samples = isSortedByTime(batch.samples) ? batch.samples : [...batch.samples].sort((a, b) => a.ts - b.ts);
    const events: AlertEvent[] = [];
    const affected = new Set<RuntimeRule>();

    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      this.ingest(agent, sample, batch.receivedAt, affected);

      const groupEnds = i + 1 === samples.length || samples[i + 1]!.ts !== sample.ts;
      if (!groupEnds || affected.size === 0) continue;

      agent.watermark = Math.max(agent.watermark, sample.ts);
      for (const runtime of affected) this.evaluateRule(agent, runtime, events);
      affected.clear();
    }

    // A batch ends the agent's silence, which absent() rules must see even
    // when they read no metric of the batch.
    for (const runtime of this.absentRules) {
      if (!hasMetricIn(runtime, samples)) this.evaluateRule(agent, runtime, events);
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
      instances += agent.instances.size;
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
      this.agents.set(agentId, agent);
    }
    return agent;
  }

  private ingest(agent: AgentState, sample: Sample, receivedAt: number, affected: Set<RuntimeRule>): void {
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
    series.lastReceivedAt = Math.max(series.lastReceivedAt, receivedAt);

    const rules = this.rulesByMetric.get(sample.metric);
    if (rules) for (const runtime of rules) affected.add(runtime);
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
      };
      agent.seriesByKey.set(key, series);
      const list = agent.seriesByMetric.get(sample.metric) ?? [];
      list.push(series);
      agent.seriesByMetric.set(sample.metric, list);
      this.attachWindows(series);
    }
    return series;
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

  private evaluateRule(agent: AgentState, runtime: RuntimeRule, events: AlertEvent[]): void {
    const { condition } = runtime;
    if (condition.anchor === null) {
      this.evaluateInstance(agent, runtime, undefined, undefined, events);
      return;
    }

    const anchorSelector = condition.selectors[condition.anchor]!;
    for (const series of agent.seriesByMetric.get(anchorSelector.metric) ?? []) {
      if (anchorSelector.matches(series.labels)) this.evaluateInstance(agent, runtime, series, anchorSelector, events);
    }
  }

  private evaluateInstance(
    agent: AgentState,
    runtime: RuntimeRule,
    anchor: SeriesState | undefined,
    anchorSelector: Selector | undefined,
    events: AlertEvent[],
  ): void {
    const processingNow = this.clock.now();
    const now = Number.isFinite(agent.watermark) ? agent.watermark : processingNow;

    const context = this.context.bind(agent, runtime.condition, runtime.conditionWindowKeys, anchor, anchorSelector, now, processingNow);
    const holds = runtime.condition.evaluate(context);
    let resolveHolds = false;
    if (runtime.resolve) {
      const resolveContext = this.resolveContext.bind(agent, runtime.resolve, runtime.resolveWindowKeys, anchor, anchorSelector, now, processingNow);
      resolveHolds = runtime.resolve.evaluate(resolveContext);
    }

    const instance = this.instance(agent, runtime.rule, anchor);
    const state = evaluateLifecycle(instance.lifecycle, runtime.lifecycle, { now, holds, resolveHolds });
    if (state === undefined) return;

    const value = runtime.condition.value(context);
    if (Number.isFinite(value)) instance.lastValue = value;
    events.push(this.event(agent, runtime.rule, instance, state, now));
  }

  private instance(agent: AgentState, rule: Rule, anchor: SeriesState | undefined): InstanceState {
    const key = instanceKey(rule.name, anchor?.key ?? '');
    let instance = agent.instances.get(key);
    if (!instance) {
      const labels = { ...(anchor?.labels ?? {}), ...rule.labels, alertname: rule.name, agent: agent.agentId };
      instance = { ruleName: rule.name, fingerprint: fingerprint(rule.name, labels), labels, lifecycle: newLifecycle(), lastValue: Number.NaN };
      agent.instances.set(key, instance);
    }
    return instance;
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
    const at = Number.isFinite(agent.watermark) ? agent.watermark : this.clock.now();
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

function hasMetricIn(runtime: RuntimeRule, samples: readonly Sample[]): boolean {
  for (const sample of samples) if (runtime.metrics.has(sample.metric)) return true;
  return false;
}

function isSortedByTime(samples: readonly Sample[]): boolean {
  for (let i = 1; i < samples.length; i++) if (samples[i]!.ts < samples[i - 1]!.ts) return false;
  return true;
}
