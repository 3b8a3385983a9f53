import type { Sample } from '../pipeline/messages/metric-batch.js';
import { DASHBOARD_METRICS } from './client/protocol.js';

const METRIC_INDEX = new Map<string, number>(DASHBOARD_METRICS.map((metric, index) => [metric, index]));

/** One point of a dashboard metric: a collection's time and value. */
export interface SummaryPoint {
  ts: number;
  value: number;
}

/** Contribution of one metric batch to the dashboard. */
export interface BatchSummary {
  /** Newest sample time of the batch, or -Infinity for a batch without samples. */
  newestTs: number;
  /**
   * Per DASHBOARD_METRICS entry, one point per distinct sample time, in time
   * order. Where several series share a metric (disk_used_pct per mount,
   * latency_ms per target), the point is their maximum: the fullest disk and
   * the slowest target.
   */
  points: SummaryPoint[][];
}

/**
 * Reduces a batch's samples to the dashboard's metrics. Agents report one
 * sample time per collection, so each list usually has one point. A batch
 * that an agent sends after an outage carries several collections.
 */
export function summarizeSamples(samples: readonly Sample[]): BatchSummary {
  const points: SummaryPoint[][] = DASHBOARD_METRICS.map(() => []);
  let newestTs = Number.NEGATIVE_INFINITY;

  for (const sample of samples) {
    if (sample.ts > newestTs) newestTs = sample.ts;
    const index = METRIC_INDEX.get(sample.metric);
    if (index === undefined) continue;

    const list = points[index]!;
    const value = roundForDisplay(sample.value);
    const existing = list.find((point) => point.ts === sample.ts);
    if (existing) {
      if (value > existing.value) existing.value = value;
    } else {
      list.push({ ts: sample.ts, value });
    }
  }

  for (const list of points) {
    if (list.length > 1) list.sort((a, b) => a.ts - b.ts);
  }
  return { newestTs, points };
}

/**
 * Rounds to two decimals, which the table and sparklines cannot show more
 * precisely anyway, so that the messages stay short.
 */
export function roundForDisplay(value: number): number {
  return Math.round(value * 100) / 100;
}
