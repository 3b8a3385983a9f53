import type { CompiledCondition, Selector, WindowSpec } from '../../grammar/compile.js';
import type { Rule } from '../../grammar/rule-file.js';
import type { LifecycleRule } from './lifecycle.js';

/** A checked rule with what the engine precomputes to evaluate it quickly. */
export interface RuntimeRule {
  readonly name: string;
  rule: Rule;
  /** The condition's anchor selector: one alert instance per series it matches. Undefined: one per agent. */
  anchor: Selector | undefined;
  /**
   * Metrics read other than through the anchor (the other selectors of the
   * condition, every selector of `resolve`, absent() selectors). A sample of
   * one of them re-evaluates all of the rule's instances on its agent.
   */
  secondaryMetrics: Set<string>;
  /** Batch-local stamp that keeps a rule from being queued twice for evaluation. */
  mark: number;
  condition: CompiledCondition;
  resolve?: CompiledCondition;
  /** Window key per window slot of `condition` (see windowKey). */
  conditionWindowKeys: string[];
  /** Window key per window slot of `resolve`. */
  resolveWindowKeys: string[];
  /** Metric names either condition reads; a sample of one of them triggers evaluation. */
  metrics: Set<string>;
  /** Whether either condition reads absent(), which needs evaluation on the processing clock too. */
  readsAbsent: boolean;
  lifecycle: LifecycleRule;
}

/** Returns the metric of the condition's first zscore or robust_zscore call, or undefined when it calls neither. */
export function outlierMetric(condition: CompiledCondition): string | undefined {
  for (const spec of condition.windows) {
    if ((spec.fn === 'zscore' || spec.fn === 'robust_zscore') && spec.selector !== null) return condition.selectors[spec.selector]!.metric;
  }
  return undefined;
}

/** Identifies a window computation over a series; rules reading the same one share it. */
export const windowKey = (spec: WindowSpec): string => `${spec.fn}:${spec.rangeMs}:${spec.param ?? ''}`;

export function toRuntimeRule(rule: Rule): RuntimeRule {
  const condition = rule.condition.compiled;
  const resolve = rule.resolve?.compiled;
  const conditions = resolve ? [condition, resolve] : [condition];

  const metrics = new Set<string>();
  let readsAbsent = false;
  for (const compiled of conditions) {
    for (const selector of compiled.selectors) metrics.add(selector.metric);
    if (compiled.windows.some((spec) => spec.fn === 'absent')) readsAbsent = true;
  }

  const anchor = condition.anchor === null ? undefined : condition.selectors[condition.anchor];
  const secondaryMetrics = new Set<string>();
  for (const compiled of conditions) {
    for (const selector of compiled.selectors) {
      if (compiled !== condition || selector.key !== anchor?.key) secondaryMetrics.add(selector.metric);
    }
  }

  return {
    name: rule.name,
    rule,
    anchor,
    secondaryMetrics,
    mark: 0,
    condition,
    resolve,
    conditionWindowKeys: condition.windows.map(windowKey),
    resolveWindowKeys: resolve ? resolve.windows.map(windowKey) : [],
    metrics,
    readsAbsent,
    lifecycle: { durationMs: rule.durationMs, keepFiringForMs: rule.keepFiringForMs, hasResolve: resolve !== undefined },
  };
}
