import { type AgentChange, type AgentStatus, type AgentView, DASHBOARD_METRICS } from './client/protocol.js';
import type { SummaryPoint } from './batch-summary.js';

const METRICS = DASHBOARD_METRICS.length;

/** Bits of `AgentEntry.changes`, one per field that the next diff must carry. */
export const Changed = {
  status: 1,
  lastSeen: 2,
  interval: 4,
  silentAfter: 8,
  tags: 16,
  values: 32,
} as const;

/** Number of sample-time gaps kept per agent for the interval estimate. */
const GAPS_KEPT = 5;

/**
 * State of one agent in the dashboard role: the newest value and a ring
 * buffer of recent values per dashboard metric, the report interval
 * estimate, the status, and the fields changed since the last diff.
 */
export class AgentEntry {
  tags: Record<string, string> = {};
  /** Stable text of `tags`, to compare tag sets and key caches. */
  tagsKey = '{}';
  lastSeen = 0;
  intervalMs: number;
  silentAfterMs = Number.POSITIVE_INFINITY;
  status: AgentStatus = 'up';

  /** Newest value per metric, or NaN when the agent never sent that metric. */
  readonly values = new Float64Array(METRICS).fill(Number.NaN);
  /** Sample time of each metric's newest point, so a replayed batch adds no point twice. */
  private readonly newestPointTs = new Float64Array(METRICS).fill(Number.NEGATIVE_INFINITY);
  private readonly ring: Float64Array;
  private readonly ringStart = new Uint16Array(METRICS);
  private readonly ringLength = new Uint16Array(METRICS);

  private newestSampleTs = Number.NEGATIVE_INFINITY;
  private readonly gaps: number[] = [];

  /** Whether a diff or snapshot has carried this agent yet. */
  announced = false;
  /** `Changed` bits of the fields that changed since the last diff. */
  changes = 0;
  /** Points appended since the last diff, per metric, or undefined when there are none. */
  appended: number[][] | undefined;

  constructor(
    readonly id: string,
    private readonly sparklinePoints: number,
    defaultIntervalMs: number,
  ) {
    this.intervalMs = defaultIntervalMs;
    this.ring = new Float64Array(METRICS * sparklinePoints);
  }

  /** Records a batch's gateway receive time and returns whether lastSeen advanced. */
  seen(receivedAt: number): boolean {
    if (receivedAt <= this.lastSeen) return false;
    this.lastSeen = receivedAt;
    this.changes |= Changed.lastSeen;
    return true;
  }

  setTags(tags: Record<string, string>, tagsKey: string): boolean {
    if (tagsKey === this.tagsKey) return false;
    this.tags = tags;
    this.tagsKey = tagsKey;
    this.changes |= Changed.tags;
    return true;
  }

  setSilentAfter(ms: number): void {
    if (ms === this.silentAfterMs) return;
    this.silentAfterMs = ms;
    this.changes |= Changed.silentAfter;
  }

  setStatus(status: AgentStatus): boolean {
    if (status === this.status) return false;
    this.status = status;
    this.changes |= Changed.status;
    return true;
  }

  /**
   * Updates the interval estimate with a batch's newest sample time. The
   * estimate is the median of the last five positive gaps between
   * collections, so that one outage or one burst of retried batches does not
   * move it. Split batches of one collection share a sample time and add no gap.
   */
  observeSampleTime(newestTs: number): void {
    if (!Number.isFinite(newestTs)) return;
    if (newestTs <= this.newestSampleTs) return;
    const previous = this.newestSampleTs;
    this.newestSampleTs = newestTs;
    if (!Number.isFinite(previous)) return;

    this.gaps.push(newestTs - previous);
    if (this.gaps.length > GAPS_KEPT) this.gaps.shift();
    const sorted = [...this.gaps].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    if (median !== this.intervalMs) {
      this.intervalMs = median;
      this.changes |= Changed.interval;
    }
  }

  /**
   * Appends the points newer than the metric's newest point. Older points,
   * from replays or late batches, are skipped.
   */
  addPoints(metric: number, points: readonly SummaryPoint[]): void {
    for (const point of points) {
      if (point.ts <= this.newestPointTs[metric]!) continue;
      this.newestPointTs[metric] = point.ts;
      this.push(metric, point.value);
      if (this.values[metric] !== point.value) {
        this.values[metric] = point.value;
        this.changes |= Changed.values;
      }
      this.appended ??= DASHBOARD_METRICS.map(() => []);
      this.appended[metric]!.push(point.value);
    }
  }

  /** Returns the agent in the form that a snapshot or an `added` entry carries. */
  view(): AgentView {
    return {
      id: this.id,
      status: this.status,
      lastSeen: this.lastSeen,
      intervalMs: this.intervalMs,
      silentAfterMs: this.silentAfterMs,
      tags: this.tags,
      values: this.valueList(),
      sparklines: DASHBOARD_METRICS.map((_, metric) => this.sparkline(metric)),
    };
  }

  /** Returns the fields that changed since the last diff. */
  change(): AgentChange {
    const change: AgentChange = { id: this.id };
    if (this.changes & Changed.status) change.status = this.status;
    if (this.changes & Changed.lastSeen) change.lastSeen = this.lastSeen;
    if (this.changes & Changed.interval) change.intervalMs = this.intervalMs;
    if (this.changes & Changed.silentAfter) change.silentAfterMs = this.silentAfterMs;
    if (this.changes & Changed.tags) change.tags = this.tags;
    if (this.changes & Changed.values) change.values = this.valueList();
    // A backfill longer than a sparkline's capacity would only push its own first points out, so only the last ones are sent.
    if (this.appended) change.appended = this.appended.map((points) => (points.length > this.sparklinePoints ? points.slice(-this.sparklinePoints) : points));
    return change;
  }

  /** Clears the recorded changes once a diff has carried them, and marks the agent announced. */
  clearChanges(): void {
    this.changes = 0;
    this.appended = undefined;
    this.announced = true;
  }

  /** Returns the contents of the metric's ring buffer, oldest point first. */
  sparkline(metric: number): number[] {
    const length = this.ringLength[metric]!;
    const start = this.ringStart[metric]!;
    const base = metric * this.sparklinePoints;
    const points = new Array<number>(length);
    for (let i = 0; i < length; i++) points[i] = this.ring[base + ((start + i) % this.sparklinePoints)]!;
    return points;
  }

  private valueList(): Array<number | null> {
    return Array.from(this.values, (value) => (Number.isNaN(value) ? null : value));
  }

  private push(metric: number, value: number): void {
    const base = metric * this.sparklinePoints;
    const length = this.ringLength[metric]!;
    const start = this.ringStart[metric]!;
    if (length < this.sparklinePoints) {
      this.ring[base + ((start + length) % this.sparklinePoints)] = value;
      this.ringLength[metric] = length + 1;
    } else {
      this.ring[base + start] = value;
      this.ringStart[metric] = (start + 1) % this.sparklinePoints;
    }
  }
}
