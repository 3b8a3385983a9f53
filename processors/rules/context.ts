import type { CompiledCondition, EvalContext, Selector } from '../../grammar/compile.js';
import { type AgentState, joinSeries, type SeriesState } from './agent-state.js';

/**
 * The EvalContext of one evaluation: one compiled condition, one agent, one
 * anchor series, one event time. The engine rebinds a single instance for
 * every evaluation, so evaluating allocates nothing per sample.
 */
export class BoundContext implements EvalContext {
  private agent!: AgentState;
  private condition!: CompiledCondition;
  private windowKeys!: string[];
  private anchor: SeriesState | undefined;
  private anchorSelector: Selector | undefined;
  private now = 0;
  private processingNow = 0;
  /** Series resolved per selector slot in this evaluation; null when none pairs. */
  private resolved: Array<SeriesState | null | undefined> = [];

  bind(
    agent: AgentState,
    condition: CompiledCondition,
    windowKeys: string[],
    anchor: SeriesState | undefined,
    anchorSelector: Selector | undefined,
    now: number,
    processingNow: number,
  ): this {
    this.agent = agent;
    this.condition = condition;
    this.windowKeys = windowKeys;
    this.anchor = anchor;
    this.anchorSelector = anchorSelector;
    this.now = now;
    this.processingNow = processingNow;
    // Cleared in place, because truncating with `length = 0` halved the samples per second of `npm run bench:windows`.
    const resolved = this.resolved;
    for (let i = 0; i < resolved.length; i++) resolved[i] = undefined;
    return this;
  }

  latest(selector: number): number {
    const series = this.series(selector);
    return series ? series.lastValue : Number.NaN;
  }

  window(slot: number): number {
    const spec = this.condition.windows[slot]!;

    // absent() asks whether the gateway received anything within the window,
    // measured on the processing clock: silence is about batches that did
    // not arrive, whatever time their samples would have carried.
    if (spec.fn === 'absent') {
      const receivedAt = spec.selector === null ? this.agent.lastReceivedAt : lastReceivedAt(this.agent, this.condition.selectors[spec.selector]!);
      return this.processingNow - receivedAt >= spec.rangeMs ? 1 : 0;
    }

    const series = this.series(spec.selector!);
    const window = series?.windows.get(this.windowKeys[slot]!);
    if (!window) return Number.NaN;
    window.advance(this.now);
    if (spec.minSamples !== undefined && window.size < spec.minSamples) return Number.NaN;
    return window.value();
  }

  tag(slot: number): string | undefined {
    return this.agent.tags[this.condition.tags[slot]!];
  }

  private series(slot: number): SeriesState | undefined {
    let series = this.resolved[slot];
    if (series === undefined) {
      const selector = this.condition.selectors[slot]!;
      const isAnchor = this.anchor !== undefined && this.anchorSelector !== undefined && selector.key === this.anchorSelector.key;
      series = (isAnchor ? this.anchor : joinSeries(this.agent, selector, this.anchor, this.anchorSelector)) ?? null;
      this.resolved[slot] = series;
    }
    return series ?? undefined;
  }
}

/**
 * Returns the newest receive time over the agent's series that the selector
 * matches. A metric the agent never sent counts from the agent's first batch,
 * so a new agent gets the whole window before absent(metric, w) holds.
 */
export function lastReceivedAt(agent: AgentState, selector: Selector): number {
  let newest = agent.firstReceivedAt;
  for (const series of agent.seriesByMetric.get(selector.metric) ?? []) {
    if (selector.matches(series.labels) && series.lastReceivedAt > newest) newest = series.lastReceivedAt;
  }
  return newest;
}
