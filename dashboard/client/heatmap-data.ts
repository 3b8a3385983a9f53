/**
 * The latency heatmap's data, as GET /v1/heatmap returns it, reduced to a
 * dense grid that the canvas draws, and the geometry that maps pixels to
 * cells. Pure functions, tested without a browser.
 */

/** A value bucket. `lower` is null for the ladder's lowest bucket, because it contains every smaller value. */
export interface GridBucket {
  /** Index on the store's logarithmic ladder, as the `bucket` parameter of GET /v1/heatmap/cell expects it. */
  index: number;
  lower: number | null;
  upper: number;
}

export interface OutlierMark {
  ts: number;
  agentId: string;
  value: number;
  rule: string;
}

export interface HeatmapGrid {
  metric: string;
  from: number;
  to: number;
  step: number;
  /** Start of each time column, ms since the Unix epoch. */
  times: number[];
  /** Value buckets, lowest first. */
  buckets: GridBucket[];
  /** Sample count per cell, column-major: `counts[timeIndex * buckets.length + bucketPosition]`. */
  counts: number[];
  /** Maximum count of any cell, or 0 for an empty heatmap. */
  max: number;
  outliers: OutlierMark[];
}

/** Raised for a response that is not a heatmap. The message names the field. */
export class HeatmapFormatError extends Error {
  constructor(field: string, problem: string) {
    super(`the heatmap response is not usable: ${field} ${problem}`);
    this.name = 'HeatmapFormatError';
  }
}

type Json = Record<string, unknown>;

/**
 * Builds the grid from a GET /v1/heatmap body. It takes cells either as
 * `{time, bucket, count}` objects (time in ms, bucket a ladder index) or as
 * `[timeIndex, bucketPosition, count]` triples, and the time columns from
 * `times` when given, else from `from`, `to` and `step` (columns start at
 * multiples of `step`). Outlier marks come from `outliers` (or `marks`).
 * When the body gives `bucketsPerDecade` and `min`, the value axis is padded
 * to at least one decade of buckets.
 */
export function normalizeHeatmap(body: unknown): HeatmapGrid {
  const raw = asObject(body, 'the body');
  const metric = typeof raw.metric === 'string' ? raw.metric : '';
  const from = asNumber(raw.from, 'from');
  const to = asNumber(raw.to, 'to');
  const step = asNumber(raw.step, 'step');
  if (step <= 0) throw new HeatmapFormatError('step', `must be positive, found ${step}`);

  const times = Array.isArray(raw.times) ? raw.times.map((time, i) => asNumber(time, `times[${i}]`)) : alignedTimes(from, to, step);
  const rawBuckets = Array.isArray(raw.buckets) ? raw.buckets : [];
  const buckets: GridBucket[] = rawBuckets.map((bucket, i) => {
    const object = asObject(bucket, `buckets[${i}]`);
    return {
      index: typeof object.index === 'number' ? object.index : i,
      lower: typeof object.lower === 'number' ? object.lower : null,
      upper: asNumber(object.upper, `buckets[${i}].upper`),
    };
  });

  const positionOfBucket = new Map(buckets.map((bucket, position) => [bucket.index, position]));
  const columnOfTime = new Map(times.map((time, column) => [time, column]));
  const counts = new Array<number>(times.length * buckets.length).fill(0);
  let max = 0;

  const rawCells = Array.isArray(raw.cells) ? raw.cells : [];
  rawCells.forEach((cell, i) => {
    let column: number | undefined;
    let position: number | undefined;
    let count: number;
    if (Array.isArray(cell)) {
      column = asNumber(cell[0], `cells[${i}][0]`);
      position = asNumber(cell[1], `cells[${i}][1]`);
      count = asNumber(cell[2], `cells[${i}][2]`);
    } else {
      const object = asObject(cell, `cells[${i}]`);
      const time = asNumber(object.time, `cells[${i}].time`);
      column = columnOfTime.get(time) ?? columnOfTime.get(Math.floor(time / step) * step);
      position = positionOfBucket.get(asNumber(object.bucket, `cells[${i}].bucket`));
      count = asNumber(object.count, `cells[${i}].count`);
    }
    if (column === undefined || position === undefined || !Number.isInteger(column) || !Number.isInteger(position)) return;
    if (column < 0 || column >= times.length || position < 0 || position >= buckets.length) return;
    const slot = column * buckets.length + position;
    counts[slot] = (counts[slot] ?? 0) + count;
    if (counts[slot]! > max) max = counts[slot]!;
  });

  const rawOutliers = Array.isArray(raw.outliers) ? raw.outliers : Array.isArray(raw.marks) ? raw.marks : [];
  const outliers = rawOutliers.map((mark, i): OutlierMark => {
    const object = asObject(mark, `outliers[${i}]`);
    return {
      ts: asNumber(object.ts, `outliers[${i}].ts`),
      agentId: String(object.agentId ?? ''),
      value: typeof object.value === 'number' ? object.value : Number.NaN,
      rule: String(object.rule ?? ''),
    };
  });

  const grid: HeatmapGrid = { metric, from, to, step, times, buckets, counts, max, outliers };
  const bucketsPerDecade = raw.bucketsPerDecade;
  const min = raw.min;
  return typeof bucketsPerDecade === 'number' && typeof min === 'number' ? padBuckets(grid, { bucketsPerDecade, min }, bucketsPerDecade) : grid;
}

/**
 * Widens the value axis to at least `minimum` buckets of the ladder, split
 * above and below the non-empty ones, so that samples in one bucket show as
 * a band at their height rather than filling the plot. The axis never goes
 * below the ladder's lowest bucket, the one that contains `min`.
 */
export function padBuckets(grid: HeatmapGrid, ladder: { bucketsPerDecade: number; min: number }, minimum: number): HeatmapGrid {
  const first = grid.buckets[0];
  const last = grid.buckets.at(-1);
  if (!first || !last || grid.buckets.length >= minimum) return grid;

  const n = ladder.bucketsPerDecade;
  const lowest = Math.floor(Math.log10(ladder.min) * n);
  const missing = minimum - grid.buckets.length;
  const below = Math.max(0, Math.min(Math.floor(missing / 2), first.index - lowest));
  const above = missing - below;
  const bucketAt = (index: number): GridBucket => ({ index, lower: index === lowest ? null : 10 ** (index / n), upper: 10 ** ((index + 1) / n) });

  const buckets = [
    ...Array.from({ length: below }, (_, i) => bucketAt(first.index - below + i)),
    ...grid.buckets,
    ...Array.from({ length: above }, (_, i) => bucketAt(last.index + 1 + i)),
  ];
  const counts = new Array<number>(grid.times.length * buckets.length).fill(0);
  grid.times.forEach((_, column) => {
    grid.buckets.forEach((_, position) => {
      counts[column * buckets.length + below + position] = grid.counts[column * grid.buckets.length + position] ?? 0;
    });
  });
  return { ...grid, buckets, counts };
}

/** Returns the column starts, multiples of `step`, of the columns that overlap [from, to). */
export function alignedTimes(from: number, to: number, step: number): number[] {
  const times: number[] = [];
  for (let time = Math.floor(from / step) * step; time < to; time += step) times.push(time);
  return times;
}

/** The plot area of the canvas, in CSS pixels. */
export interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Returns a cell's rectangle: time runs left to right, buckets bottom (lowest) to top. */
export function cellRect(area: PlotArea, grid: Pick<HeatmapGrid, 'times' | 'buckets'>, column: number, position: number): { x: number; y: number; width: number; height: number } {
  const width = area.width / Math.max(1, grid.times.length);
  const height = area.height / Math.max(1, grid.buckets.length);
  return { x: area.left + column * width, y: area.top + area.height - (position + 1) * height, width, height };
}

/** Returns the cell under a point, or undefined outside the plot area. */
export function cellAt(area: PlotArea, grid: Pick<HeatmapGrid, 'times' | 'buckets'>, x: number, y: number): { column: number; position: number } | undefined {
  if (grid.times.length === 0 || grid.buckets.length === 0) return undefined;
  if (x < area.left || x >= area.left + area.width || y < area.top || y >= area.top + area.height) return undefined;
  const column = Math.floor(((x - area.left) / area.width) * grid.times.length);
  const position = Math.floor(((area.top + area.height - y) / area.height) * grid.buckets.length);
  return { column: Math.min(column, grid.times.length - 1), position: Math.min(position, grid.buckets.length - 1) };
}

/** Returns the x coordinate of a time inside the plot area. */
export function timeToX(area: PlotArea, grid: Pick<HeatmapGrid, 'times' | 'step'>, ts: number): number {
  const start = grid.times[0] ?? 0;
  const span = Math.max(1, grid.times.length) * grid.step;
  return area.left + ((ts - start) / span) * area.width;
}

/**
 * Returns the colour of a cell: none for an empty cell, otherwise dark blue
 * to yellow on a logarithmic scale of the count, so that a few slow samples
 * stay visible next to the bulk.
 */
export function cellColor(count: number, max: number): string | undefined {
  if (count <= 0 || max <= 0) return undefined;
  return scaleColor(max === 1 ? 1 : Math.log(count) / Math.log(max));
}

/** Returns the colour at `position` on the count scale, from 0 (a count of 1) to 1 (the largest count). */
export function scaleColor(position: number): string {
  const t = Number.isFinite(position) ? position : 0;
  const stops: Array<[number, number, number]> = [
    [30, 40, 90],
    [40, 110, 160],
    [60, 170, 120],
    [250, 220, 60],
  ];
  const scaled = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const low = Math.min(Math.floor(scaled), stops.length - 2);
  const fraction = scaled - low;
  const [r, g, b] = stops[low]!.map((channel, i) => Math.round(channel + (stops[low + 1]![i]! - channel) * fraction)) as [number, number, number];
  return `rgb(${r}, ${g}, ${b})`;
}

/**
 * Picks the counts that the colour legend labels: 1, the geometric middle
 * and the largest count, without repeats. Empty for an empty heatmap.
 */
export function legendCounts(max: number): number[] {
  if (max < 1) return [];
  const middle = Math.round(Math.sqrt(max));
  return [...new Set([1, middle, max])];
}

/** Returns where a count sits on the legend's log scale, from 0 (a count of 1) to 1 (the largest). */
export function legendFraction(count: number, max: number): number {
  return max <= 1 ? 1 : Math.log(count) / Math.log(max);
}

/**
 * Picks the bucket positions that get a value label, at most `maxLabels`,
 * counted down from the top one so the top row is always labelled.
 */
export function axisLabelPositions(bucketCount: number, maxLabels = 8): number[] {
  const every = Math.max(1, Math.ceil(bucketCount / Math.max(1, maxLabels)));
  const positions: number[] = [];
  for (let position = bucketCount - 1; position >= 0; position -= every) positions.push(position);
  return positions;
}

/** Parameters of the heatmap view's request to GET /v1/heatmap. */
export interface HeatmapRequest {
  metric: string;
  from: number;
  to: number;
  /** Column width in ms. */
  step: number;
  /** Exact tag matchers, which must all match. */
  tags: ReadonlyArray<{ key: string; value: string }>;
}

/**
 * Builds the query string of GET /v1/heatmap: `step` as a duration (`30s`), times
 * in ms, and the tags as one comma-separated `filter` of `tag.KEY=VALUE`
 * matchers, which the route reads as agent tags whatever the key.
 */
export function heatmapQuery(request: HeatmapRequest): URLSearchParams {
  const query = new URLSearchParams({ metric: request.metric, from: String(request.from), to: String(request.to), step: durationParameter(request.step) });
  if (request.tags.length > 0) query.set('filter', request.tags.map((tag) => `tag.${tag.key}=${tag.value}`).join(','));
  return query;
}

/** Builds the query string of GET /v1/heatmap/cell for one cell of a heatmap made with `request`. */
export function cellQuery(request: HeatmapRequest, time: number, bucketIndex: number): URLSearchParams {
  const query = heatmapQuery(request);
  query.delete('from');
  query.delete('to');
  query.set('time', String(time));
  query.set('bucket', String(bucketIndex));
  return query;
}

/** Formats a duration parameter: whole seconds as `30s`, anything else as `250ms`. */
export function durationParameter(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;
}

/** Picks the shortest round time step that keeps the range within `maxColumns` columns, or the longest step when none does. */
export function stepForRange(rangeMs: number, maxColumns = 120): number {
  const steps = [10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
  return steps.find((step) => rangeMs / step <= maxColumns) ?? steps.at(-1)!;
}

function asObject(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HeatmapFormatError(field, 'is not an object');
  return value as Json;
}

function asNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new HeatmapFormatError(field, `must be a number, found ${JSON.stringify(value)}`);
  return value;
}
