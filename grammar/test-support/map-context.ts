import type { CompiledCondition, EvalContext } from '../compile.js';
import { aggregateWindow, samplesInWindow, type Sample } from '../window-reference.js';

/** Input of one evaluation: samples per selector key, the agent's tags, the evaluation time. */
export interface MapInput {
  /** Samples by selector key (`cpu_usage`, `disk_used_pct{mount="/"}`), sorted by time. */
  series?: Record<string, Sample[]>;
  tags?: Record<string, string>;
  /** Event time of the evaluation; defaults to the latest sample's time. */
  now?: number;
}

/**
 * Builds a map-backed EvalContext for tests. It recomputes every window from
 * the samples with the reference functions, where the engine would keep
 * incremental windows.
 */
export function mapContext(compiled: CompiledCondition, input: MapInput): EvalContext {
  const series = input.series ?? {};
  const tags = input.tags ?? {};
  const allSamples = Object.values(series).flat();
  const now = input.now ?? allSamples.reduce((latest, sample) => Math.max(latest, sample.t), 0);

  const samplesOf = (slot: number): Sample[] => {
    const selector = compiled.selectors[slot];
    if (selector === undefined) throw new Error(`no selector in slot ${slot}`);
    return (series[selector.key] ?? []).filter((sample) => sample.t <= now);
  };

  return {
    latest(slot) {
      const samples = samplesOf(slot);
      return samples.length === 0 ? Number.NaN : samples[samples.length - 1]!.v;
    },
    window(slot) {
      const spec = compiled.windows[slot];
      if (spec === undefined) throw new Error(`no window in slot ${slot}`);
      const samples = spec.selector === null ? [...allSamples].sort((a, b) => a.t - b.t) : samplesOf(spec.selector);
      return aggregateWindow(spec.fn, samplesInWindow(samples, now, spec.rangeMs), spec.param);
    },
    tag(slot) {
      const name = compiled.tags[slot];
      if (name === undefined) throw new Error(`no tag in slot ${slot}`);
      return Object.hasOwn(tags, name) ? tags[name] : undefined;
    },
  };
}

/** Latest-sample-only input: one sample per selector key at time 0. */
export function latestValues(values: Record<string, number>, tags: Record<string, string> = {}): MapInput {
  const series: Record<string, Sample[]> = {};
  for (const [key, value] of Object.entries(values)) series[key] = [{ t: 0, v: value }];
  return { series, tags, now: 0 };
}
