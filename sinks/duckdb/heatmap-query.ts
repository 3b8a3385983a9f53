import { BIGINT, type DuckDBConnection, type DuckDBType, type DuckDBValue, INTEGER, VARCHAR } from '@duckdb/node-api';
import {
  assembleHeatmap,
  type CellAgent,
  checkHeatmapCellQuery,
  checkHeatmapQuery,
  checkOutlierMarkQuery,
  type Heatmap,
  type HeatmapCellQuery,
  type HeatmapFilter,
  type HeatmapQuery,
  type OutlierMark,
  type OutlierMarkQuery,
  type ResolvedLadder,
} from '../../pipeline/store/heatmap.js';

/**
 * Returns the SQL expression of a sample's value bucket, the same formula as `bucketIndex`.
 * DuckDB's log10 raises an error for 0 and negative values, and CASE keeps
 * them away from it. The two integers come from a checked ladder.
 */
function bucketExpression(value: string, ladder: ResolvedLadder): string {
  return `CASE WHEN ${value} <= 0 THEN ${ladder.lowest} ELSE greatest(${ladder.lowest}, CAST(floor(log10(${value}) * ${ladder.bucketsPerDecade}) AS INTEGER)) END`;
}

/** Named parameters of a statement and their DuckDB types. */
class Parameters {
  readonly values: Record<string, DuckDBValue> = {};
  readonly types: Record<string, DuckDBType> = {};

  /** Adds a value and returns its placeholder, such as `$p3`. */
  add(value: DuckDBValue, type: DuckDBType): string {
    const name = `p${Object.keys(this.values).length}`;
    this.values[name] = value;
    this.types[name] = type;
    return `$${name}`;
  }
}

/**
 * Builds the conditions on `samples s` that select a metric's samples in
 * [from, to). Matching series and tag sets become `IN` subqueries on the small
 * `series` and `tag_sets` tables, so the scan of `samples` stays a semi-join.
 */
function sampleConditions(metric: string, from: number, to: number, filter: HeatmapFilter | undefined, parameters: Parameters): string {
  const seriesConditions = [`metric = ${parameters.add(metric, VARCHAR)}`];
  if (filter?.agentId !== undefined) seriesConditions.push(`agent = ${parameters.add(filter.agentId, VARCHAR)}`);
  for (const [name, value] of Object.entries(filter?.labels ?? {})) {
    seriesConditions.push(`labels[${parameters.add(name, VARCHAR)}] = ${parameters.add(value, VARCHAR)}`);
  }

  const conditions = [
    `s.ts >= epoch_ms(${parameters.add(BigInt(from), BIGINT)})`,
    `s.ts < epoch_ms(${parameters.add(BigInt(to), BIGINT)})`,
    `s.series_id IN (SELECT series_id FROM series WHERE ${seriesConditions.join(' AND ')})`,
  ];
  const tagConditions = Object.entries(filter?.tags ?? {}).map(([name, value]) => `tags[${parameters.add(name, VARCHAR)}] = ${parameters.add(value, VARCHAR)}`);
  if (tagConditions.length > 0) conditions.push(`s.tag_set_id IN (SELECT tag_set_id FROM tag_sets WHERE ${tagConditions.join(' AND ')})`);
  return conditions.join(' AND ');
}

/** Heatmap queries of the embedded store; they see every committed write at once. */
export class DuckDBHeatmapQueries {
  constructor(private readonly connection: DuckDBConnection) {}

  async queryHeatmap(query: HeatmapQuery): Promise<Heatmap> {
    const ladder = checkHeatmapQuery(query);
    const parameters = new Parameters();
    const conditions = sampleConditions(query.metric, query.from, query.to, query.filter, parameters);
    // Sample times are never before the epoch (from >= 0), so integer division floors.
    const step = parameters.add(BigInt(query.step), BIGINT);
    const reader = await this.connection.runAndReadAll(
      `SELECT (epoch_ms(s.ts) // ${step}) * ${step} AS time, ${bucketExpression('s.value', ladder)} AS bucket, count(*) AS count
       FROM samples s
       WHERE ${conditions}
       GROUP BY ALL`,
      parameters.values,
      parameters.types,
    );
    const rows = reader.getRowObjectsJS().map((row) => ({ time: Number(row.time), bucket: Number(row.bucket), count: Number(row.count) }));
    return assembleHeatmap(query, ladder, rows);
  }

  async queryHeatmapCell(query: HeatmapCellQuery): Promise<CellAgent[]> {
    const { ladder, limit } = checkHeatmapCellQuery(query);
    const parameters = new Parameters();
    const conditions = sampleConditions(query.metric, query.from, query.to, query.filter, parameters);
    const reader = await this.connection.runAndReadAll(
      `SELECT se.agent, count(*) AS count
       FROM samples s
       JOIN series se ON se.series_id = s.series_id
       WHERE ${conditions} AND ${bucketExpression('s.value', ladder)} = ${parameters.add(query.bucket, INTEGER)}
       GROUP BY se.agent
       ORDER BY count DESC, se.agent
       LIMIT ${parameters.add(limit, INTEGER)}`,
      parameters.values,
      parameters.types,
    );
    return reader.getRowObjectsJS().map((row) => ({ agentId: row.agent as string, count: Number(row.count) }));
  }

  async queryOutlierMarks(query: OutlierMarkQuery): Promise<OutlierMark[]> {
    const limit = checkOutlierMarkQuery(query);
    const parameters = new Parameters();
    const conditions = [
      `a.ts >= epoch_ms(${parameters.add(BigInt(query.from), BIGINT)})`,
      `a.ts < epoch_ms(${parameters.add(BigInt(query.to), BIGINT)})`,
      `a.state = 'firing'`,
      `a.outlier_metric = ${parameters.add(query.metric, VARCHAR)}`,
    ];
    const { filter } = query;
    if (filter?.agentId !== undefined) conditions.push(`a.agent = ${parameters.add(filter.agentId, VARCHAR)}`);
    for (const [column, matchers] of [['tags', filter?.tags], ['labels', filter?.labels]] as const) {
      for (const [name, value] of Object.entries(matchers ?? {})) {
        conditions.push(`a.${column}[${parameters.add(name, VARCHAR)}] = ${parameters.add(value, VARCHAR)}`);
      }
    }

    const reader = await this.connection.runAndReadAll(
      `SELECT epoch_ms(a.ts) AS ts, a.agent, a.value, a.rule
       FROM alerts a
       WHERE ${conditions.join(' AND ')}
       ORDER BY a.ts, a.agent, a.rule
       LIMIT ${parameters.add(limit, INTEGER)}`,
      parameters.values,
      parameters.types,
    );
    return reader.getRowObjectsJS().map((row) => ({
      ts: Number(row.ts),
      agentId: row.agent as string,
      value: row.value === null ? Number.NaN : (row.value as number),
      rule: row.rule as string,
    }));
  }
}
