import { DASHBOARD_METRICS, type DashboardMetric } from './protocol.js';

/**
 * Formats an age for the last-seen column: `3s`, `4m 05s`, `2h 10m`,
 * `3d 4h`. Negative ages (clock jitter) show as `0s`.
 */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1_000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** Formats a duration setting, such as an interval: `250ms`, `10s`, `1m 30s`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms % 1_000 !== 0 && ms < 10_000) return `${(ms / 1_000).toFixed(1)}s`;
  return formatAge(ms).replace(/ 0+(s|m|h)$/, '');
}

/** Formats a metric value with its unit, or `–` when the agent never sent it. */
export function formatMetric(metric: DashboardMetric, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (metric === 'latency_ms') return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
  return `${value.toFixed(1)}%`;
}

/** Formats a heatmap bucket bound or count compactly: `0.5`, `12`, `1.2k`, `3.4M`. */
export function formatCompact(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return `${trim(value / 1e6)}M`;
  if (magnitude >= 1e3) return `${trim(value / 1e3)}k`;
  if (magnitude >= 10 || magnitude === 0) return String(Math.round(value));
  if (magnitude >= 1) return trim(value);
  return String(Number(value.toPrecision(2)));
}

/**
 * Formats a count with its noun, singular for exactly one: `1 sample`,
 * `3 samples`, `0 agents`. `plural` is for nouns that do not just add an s.
 */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/** Returns the unit of a dashboard metric's values: `ms` for latency, `%` for cpu, memory and disk, and '' for any other metric. */
export function metricUnit(metric: string): string {
  if (metric === 'latency_ms') return 'ms';
  return (DASHBOARD_METRICS as readonly string[]).includes(metric) ? '%' : '';
}

/** Appends a unit to a formatted number: `25 ms`, but `25%` without a space. */
export function withUnit(formatted: string, unit: string): string {
  if (unit === '') return formatted;
  return unit === '%' ? `${formatted}%` : `${formatted} ${unit}`;
}

/**
 * Formats a heatmap bucket's value range with its unit: `20–25 ms`, or
 * `below 0.0013 ms` for the lowest bucket, whose `lower` is null.
 */
export function formatBucketRange(bucket: { lower: number | null; upper: number }, unit: string): string {
  if (bucket.lower === null) return `below ${withUnit(formatCompact(bucket.upper), unit)}`;
  return withUnit(`${formatCompact(bucket.lower)}–${formatCompact(bucket.upper)}`, unit);
}

function trim(value: number): string {
  return value.toFixed(1).replace(/\.0$/, '');
}
