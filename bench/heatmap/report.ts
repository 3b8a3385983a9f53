/** Query time figures of the heatmap benchmark and their comparison with bench/baselines.json. */

/**
 * A median above this multiple of its baseline prints a warning (and fails
 * with --strict). The p95 of 20 runs is the second slowest run, too noisy to
 * gate on, so it is only printed.
 */
export const BASELINE_WARNING_FACTOR = 1.25;

/** Median and 95th percentile (nearest rank) of one query's timed runs, in milliseconds. */
export interface QueryFigures {
  medianMs: number;
  p95Ms: number;
}

/** Settings the figures depend on. A run is compared only with a baseline recorded with the same ones. */
export interface HeatmapSettings {
  agents: number;
  points: number;
  runs: number;
}

/** One store's recorded figures, by query name. */
export interface HeatmapBaseline {
  queries: Record<string, QueryFigures>;
  settings: HeatmapSettings;
  /** Date of the run, YYYY-MM-DD. */
  recorded: string;
  /** CPU model, core count and memory of the machine that ran it. */
  machine: string;
}

/** Returns the median and nearest-rank p95 of durations in milliseconds. */
export function summarize(durations: readonly number[]): QueryFigures {
  const sorted = [...durations].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { medianMs: round(median), p95Ms: round(rank(0.95)) };
}

/** Outcome of comparing one store's run with its baseline. */
export interface Comparison {
  lines: string[];
  /** True when a median exceeds BASELINE_WARNING_FACTOR times its baseline. */
  slower: boolean;
}

export function compareWithBaseline(store: string, queries: Record<string, QueryFigures>, settings: HeatmapSettings, baseline: HeatmapBaseline | undefined): Comparison {
  if (!baseline) return { lines: [`  no baseline for ${store}; record one with --record-baseline`], slower: false };

  const differences = (Object.keys(settings) as Array<keyof HeatmapSettings>)
    .filter((key) => settings[key] !== baseline.settings[key])
    .map((key) => `${key} ${settings[key]} (baseline ${baseline.settings[key]})`);
  if (differences.length > 0) return { lines: [`  not compared with the baseline, because the settings differ: ${differences.join(', ')}`], slower: false };

  const lines = [`  baseline of ${baseline.recorded} (${baseline.machine}):`];
  let slower = false;
  for (const [name, figures] of Object.entries(queries)) {
    const recorded = baseline.queries[name];
    if (!recorded) {
      lines.push(`    ${name}: no baseline figure`);
      continue;
    }
    const medianRatio = figures.medianMs / recorded.medianMs;
    const p95Ratio = figures.p95Ms / recorded.p95Ms;
    lines.push(`    ${name}: median ${recorded.medianMs} ms (ratio ${medianRatio.toFixed(2)}), p95 ${recorded.p95Ms} ms (ratio ${p95Ratio.toFixed(2)})`);
    if (medianRatio > BASELINE_WARNING_FACTOR) {
      slower = true;
      lines.push(`WARNING: the median of ${store} ${name} is above ${BASELINE_WARNING_FACTOR} times its baseline`);
    }
  }
  return { lines, slower };
}

export function toBaseline(queries: Record<string, QueryFigures>, settings: HeatmapSettings, machine: string, date: Date): HeatmapBaseline {
  return { queries, settings, recorded: date.toISOString().slice(0, 10), machine };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
