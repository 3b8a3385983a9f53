import { LABEL_NAME, METRIC_NAME } from '../messages/metric-batch.js';

/**
 * Equality matchers that select the samples of a heatmap. A sample must match
 * every matcher given. Tags are the agent's tags at ingest time, labels the series'
 * labels.
 */
export interface HeatmapFilter {
  agentId?: string;
  tags?: Record<string, string>;
  labels?: Record<string, string>;
}

/**
 * The value axis of a heatmap: a fixed ladder of logarithmic buckets.
 * Bucket `k` covers [10^(k/n), 10^((k+1)/n)) for n buckets per decade. The
 * lowest bucket, the one that contains `min`, also takes every smaller
 * value, zero and negative values included.
 */
export interface LogLadder {
  /** Buckets per power of ten, from 1 to MAX_BUCKETS_PER_DECADE; 10 when not given. */
  bucketsPerDecade?: number;
  /** A positive value inside the lowest bucket; 0.001 when not given. */
  min?: number;
}

export interface HeatmapQuery extends LogLadder {
  metric: string;
  /** Inclusive lower bound on ts, milliseconds since the Unix epoch. */
  from: number;
  /** Exclusive upper bound on ts. */
  to: number;
  /**
   * Width of a time bucket in milliseconds. Time buckets start at multiples
   * of `step` since the Unix epoch, so the first and the last bucket contain
   * only the part of them inside [from, to).
   */
  step: number;
  filter?: HeatmapFilter;
}

/** One heatmap cell: a time bucket and a value bucket. */
export interface HeatmapCellQuery extends LogLadder {
  metric: string;
  /** Inclusive start of the cell's time range, ms since the Unix epoch. */
  from: number;
  /** Exclusive end of the cell's time range. */
  to: number;
  /** Index of the value bucket (see LogLadder). */
  bucket: number;
  filter?: HeatmapFilter;
  /** Maximum agents, most samples first; 100 when not given. */
  limit?: number;
}

export interface OutlierMarkQuery {
  metric: string;
  /** Inclusive lower bound on the alert's transition time, ms since the Unix epoch. */
  from: number;
  /** Exclusive upper bound. */
  to: number;
  /** Matchers applied to the alert's agent, tags and labels. */
  filter?: HeatmapFilter;
  /** Maximum marks, oldest first; 1000 when not given. */
  limit?: number;
}

/** A value bucket; `lower` is null for the lowest bucket, which has no lower bound. */
export interface HeatmapBucket {
  index: number;
  lower: number | null;
  upper: number;
}

export interface HeatmapCell {
  /** Start of the time bucket, ms since the Unix epoch. */
  time: number;
  /** Index of the value bucket. */
  bucket: number;
  /** Samples in the cell. */
  count: number;
}

/** Sample counts per time bucket and value bucket. */
export interface Heatmap {
  metric: string;
  from: number;
  to: number;
  step: number;
  bucketsPerDecade: number;
  min: number;
  /** Value buckets from the lowest to the highest non-empty one, with the empty ones between; empty without samples. */
  buckets: HeatmapBucket[];
  /** Non-empty cells, by time, then by bucket index. */
  cells: HeatmapCell[];
  /** Samples counted in all cells. */
  total: number;
}

/** An agent with samples in a heatmap cell. */
export interface CellAgent {
  agentId: string;
  /** The agent's samples in the cell. */
  count: number;
}

/**
 * A `firing` transition of an alert whose rule reads the metric through
 * zscore or robust_zscore (AlertEvent.outlierMetric).
 */
export interface OutlierMark {
  /** Transition time, ms since the Unix epoch. */
  ts: number;
  agentId: string;
  /** The alert's value: the left operand of the condition's outermost comparison, such as the z-score. */
  value: number;
  rule: string;
}

/** Queries behind the latency heatmap; both stores implement them. */
export interface HeatmapReader {
  /**
   * Counts the metric's samples per time bucket and value bucket.
   *
   * ```ts
   * const heatmap = await store.queryHeatmap({ metric: 'latency_ms', from, to: from + 86_400_000, step: 60_000, filter: { tags: { env: 'prod' } } });
   * ```
   */
  queryHeatmap(query: HeatmapQuery): Promise<Heatmap>;
  /** Lists the agents with samples in one cell, most samples first, then by agent id. */
  queryHeatmapCell(query: HeatmapCellQuery): Promise<CellAgent[]>;
  /** Lists outlier alerts that fired in the range, oldest first, then by agent id and rule. */
  queryOutlierMarks(query: OutlierMarkQuery): Promise<OutlierMark[]>;
}

export const DEFAULT_BUCKETS_PER_DECADE = 10;
export const MAX_BUCKETS_PER_DECADE = 100;
export const DEFAULT_MIN_VALUE = 0.001;
/** Maximum time buckets of one heatmap. 2,000 keeps the response under a few MB at 10 buckets per decade (an estimate). */
export const MAX_TIME_BUCKETS = 2_000;
export const DEFAULT_CELL_AGENTS = 100;
export const DEFAULT_OUTLIER_MARKS = 1_000;
/** Maximum length of an agent id, tag or label value in a filter, the same as in a batch. */
const MAX_FILTER_VALUE_LENGTH = 1_024;
const MAX_NAME_LENGTH = 128;

/**
 * Raised for a heatmap query that no store can run. `field` is the path of
 * the failing field in the query object, such as `step` or `filter.tags`.
 */
export class HeatmapQueryError extends RangeError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid heatmap query: ${field} ${message}`);
    this.name = 'HeatmapQueryError';
  }
}

/** The ladder of a query with its defaults applied. */
export interface ResolvedLadder {
  bucketsPerDecade: number;
  min: number;
  /** Index of the lowest bucket: floor(log10(min) × bucketsPerDecade). */
  lowest: number;
}

/**
 * Returns the index of the value bucket that contains `value`, the
 * reference of what the stores compute in SQL. A value within rounding
 * error of a bucket bound may land in either neighbour, because SQL engines
 * compute log10 with their own rounding.
 */
export function bucketIndex(value: number, ladder: ResolvedLadder): number {
  if (value <= 0) return ladder.lowest;
  return Math.max(ladder.lowest, Math.floor(Math.log10(value) * ladder.bucketsPerDecade));
}

/** Returns the bounds of value bucket `index`; the lowest bucket's lower bound is null. */
export function bucketBounds(index: number, ladder: ResolvedLadder): HeatmapBucket {
  const n = ladder.bucketsPerDecade;
  return { index, lower: index === ladder.lowest ? null : 10 ** (index / n), upper: 10 ** ((index + 1) / n) };
}

/** Checks a heatmap query and returns its ladder; throws HeatmapQueryError naming the field. */
export function checkHeatmapQuery(query: HeatmapQuery): ResolvedLadder {
  checkRange(query.metric, query.from, query.to, query.filter);
  const { step } = query;
  if (!Number.isSafeInteger(step) || step < 1) throw new HeatmapQueryError('step', `must be a positive whole number of milliseconds, found ${step}`);

  const buckets = timeBucketCount(query.from, query.to, step);
  if (buckets > MAX_TIME_BUCKETS) {
    const fitting = Math.ceil((query.to - query.from) / (MAX_TIME_BUCKETS - 1));
    throw new HeatmapQueryError('step', `of ${step} ms makes ${buckets} time buckets, more than the maximum of ${MAX_TIME_BUCKETS}; use a step of at least ${fitting} ms or a shorter range`);
  }
  return resolveLadder(query);
}

/** Checks a cell query and returns its ladder and row limit; throws HeatmapQueryError naming the field. */
export function checkHeatmapCellQuery(query: HeatmapCellQuery): { ladder: ResolvedLadder; limit: number } {
  checkRange(query.metric, query.from, query.to, query.filter);
  const ladder = resolveLadder(query);
  if (!Number.isSafeInteger(query.bucket) || query.bucket < ladder.lowest) {
    throw new HeatmapQueryError('bucket', `must be an integer bucket index of at least ${ladder.lowest} (the lowest bucket of this ladder), found ${query.bucket}`);
  }
  return { ladder, limit: checkLimit(query.limit, DEFAULT_CELL_AGENTS) };
}

/** Checks an outlier mark query and returns its row limit; throws HeatmapQueryError naming the field. */
export function checkOutlierMarkQuery(query: OutlierMarkQuery): number {
  checkRange(query.metric, query.from, query.to, query.filter);
  return checkLimit(query.limit, DEFAULT_OUTLIER_MARKS);
}

/** Number of time buckets, aligned to multiples of `step`, that [from, to) touches. */
export function timeBucketCount(from: number, to: number, step: number): number {
  return Math.ceil(to / step) - Math.floor(from / step);
}

/**
 * Builds the heatmap from a store's rows of (time bucket, value bucket,
 * count). Rows may come in any order.
 */
export function assembleHeatmap(query: HeatmapQuery, ladder: ResolvedLadder, rows: readonly HeatmapCell[]): Heatmap {
  const cells = [...rows].sort((a, b) => a.time - b.time || a.bucket - b.bucket);
  let total = 0;
  let lowest = Number.POSITIVE_INFINITY;
  let highest = Number.NEGATIVE_INFINITY;
  for (const cell of cells) {
    total += cell.count;
    lowest = Math.min(lowest, cell.bucket);
    highest = Math.max(highest, cell.bucket);
  }

  const buckets: HeatmapBucket[] = [];
  for (let index = lowest; index <= highest; index++) buckets.push(bucketBounds(index, ladder));

  return {
    metric: query.metric,
    from: query.from,
    to: query.to,
    step: query.step,
    bucketsPerDecade: ladder.bucketsPerDecade,
    min: ladder.min,
    buckets,
    cells,
    total,
  };
}

/** Applies the ladder's defaults; throws HeatmapQueryError for an invalid one. */
export function resolveLadder(ladder: LogLadder): ResolvedLadder {
  const bucketsPerDecade = ladder.bucketsPerDecade ?? DEFAULT_BUCKETS_PER_DECADE;
  if (!Number.isInteger(bucketsPerDecade) || bucketsPerDecade < 1 || bucketsPerDecade > MAX_BUCKETS_PER_DECADE) {
    throw new HeatmapQueryError('bucketsPerDecade', `must be an integer from 1 to ${MAX_BUCKETS_PER_DECADE}, found ${bucketsPerDecade}`);
  }
  const min = ladder.min ?? DEFAULT_MIN_VALUE;
  if (!Number.isFinite(min) || min <= 0) throw new HeatmapQueryError('min', `must be a positive number, such as 0.001, found ${min}`);
  return { bucketsPerDecade, min, lowest: Math.floor(Math.log10(min) * bucketsPerDecade) };
}

function checkRange(metric: string, from: number, to: number, filter: HeatmapFilter | undefined): void {
  if (typeof metric !== 'string' || !METRIC_NAME.test(metric) || metric.length > MAX_NAME_LENGTH) {
    throw new HeatmapQueryError('metric', `must be a metric name such as latency_ms (letters, digits, _ and :), found ${JSON.stringify(metric)}`);
  }
  if (!Number.isSafeInteger(from) || from < 0) throw new HeatmapQueryError('from', `must be whole milliseconds since the Unix epoch, not negative, found ${from}`);
  if (!Number.isSafeInteger(to)) throw new HeatmapQueryError('to', `must be whole milliseconds since the Unix epoch, found ${to}`);
  if (to <= from) throw new HeatmapQueryError('to', `must be later than from, found from=${from} to=${to}`);
  if (filter) checkFilter(filter);
}

/**
 * Checks matcher names and values. Names become SQL column names in QuestDB
 * (`tag_<name>`, `label_<name>`), so only the label name syntax passes.
 */
function checkFilter(filter: HeatmapFilter): void {
  if (filter.agentId !== undefined) checkFilterValue('filter.agentId', filter.agentId);
  for (const [field, matchers] of [['filter.tags', filter.tags], ['filter.labels', filter.labels]] as const) {
    for (const [name, value] of Object.entries(matchers ?? {})) {
      if (!LABEL_NAME.test(name) || name.length > MAX_NAME_LENGTH) {
        throw new HeatmapQueryError(field, `contains an invalid name ${JSON.stringify(name.slice(0, 140))}; use letters, digits and _, not starting with a digit`);
      }
      checkFilterValue(`${field}.${name}`, value);
    }
  }
}

function checkFilterValue(field: string, value: unknown): void {
  if (typeof value !== 'string' || value === '' || value.length > MAX_FILTER_VALUE_LENGTH) {
    throw new HeatmapQueryError(field, `must be a string of 1 to ${MAX_FILTER_VALUE_LENGTH} characters`);
  }
}

function checkLimit(limit: number | undefined, fallback: number): number {
  const value = limit ?? fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new HeatmapQueryError('limit', `must be a positive integer, found ${value}`);
  return value;
}
