import { labelSetKey } from '../label-set.js';

export interface NewSeries {
  id: number;
  agentId: string;
  metric: string;
  series: string;
  labels: Record<string, string>;
}

export interface NewTagSet {
  id: number;
  tagSet: string;
  tags: Record<string, string>;
}

/**
 * The ids of every series and tag set in the database, kept in memory so
 * that a write needs no lookup query. Ids handed out since the last
 * `commit` are pending: `rollback` discards them when the transaction
 * that was to insert their rows fails.
 *
 * Series are found through nested maps (agent, then metric, then label-set
 * key), which avoids building one composite string per sample.
 */
export class IdIndex {
  private readonly seriesByAgent = new Map<string, Map<string, Map<string, number>>>();
  private readonly tagSets = new Map<string, number>();
  private nextSeriesId = 1;
  private nextTagSetId = 1;
  readonly newSeries: NewSeries[] = [];
  readonly newTagSets: NewTagSet[] = [];

  /** Registers a series row read from the database. */
  loadSeries(id: number, agentId: string, metric: string, series: string): void {
    this.metricsOf(agentId, metric).set(series, id);
    this.nextSeriesId = Math.max(this.nextSeriesId, id + 1);
  }

  /** Registers a tag set row read from the database. */
  loadTagSet(id: number, tagSet: string): void {
    this.tagSets.set(tagSet, id);
    this.nextTagSetId = Math.max(this.nextTagSetId, id + 1);
  }

  seriesId(agentId: string, metric: string, labels: Record<string, string>): number {
    const bySeries = this.metricsOf(agentId, metric);
    const series = labelSetKey(labels);
    let id = bySeries.get(series);
    if (id === undefined) {
      id = this.nextSeriesId++;
      bySeries.set(series, id);
      this.newSeries.push({ id, agentId, metric, series, labels });
    }
    return id;
  }

  tagSetId(tags: Record<string, string>): number {
    const tagSet = labelSetKey(tags);
    let id = this.tagSets.get(tagSet);
    if (id === undefined) {
      id = this.nextTagSetId++;
      this.tagSets.set(tagSet, id);
      this.newTagSets.push({ id, tagSet, tags });
    }
    return id;
  }

  /** Makes the pending ids permanent: their rows are committed. */
  commit(): void {
    this.newSeries.length = 0;
    this.newTagSets.length = 0;
  }

  /** Discards the pending ids and reuses them for the next write. */
  rollback(): void {
    for (const series of this.newSeries) this.seriesByAgent.get(series.agentId)?.get(series.metric)?.delete(series.series);
    for (const tagSet of this.newTagSets) this.tagSets.delete(tagSet.tagSet);
    if (this.newSeries.length > 0) this.nextSeriesId = this.newSeries[0]!.id;
    if (this.newTagSets.length > 0) this.nextTagSetId = this.newTagSets[0]!.id;
    this.commit();
  }

  private metricsOf(agentId: string, metric: string): Map<string, number> {
    let byMetric = this.seriesByAgent.get(agentId);
    if (!byMetric) {
      byMetric = new Map();
      this.seriesByAgent.set(agentId, byMetric);
    }
    let bySeries = byMetric.get(metric);
    if (!bySeries) {
      bySeries = new Map();
      byMetric.set(metric, bySeries);
    }
    return bySeries;
  }
}
