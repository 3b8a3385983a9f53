import type pg from 'pg';
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
import { LABEL_COLUMN_PREFIX, type QuestDBTables, TAG_COLUMN_PREFIX } from './schema.js';

const toIso = (ms: number): string => new Date(ms).toISOString();

/**
 * Returns the SQL expression of a row's value bucket, the same formula as `bucketIndex`.
 * QuestDB's `log` is the base-10 logarithm (`log(100.0)` is 2.0 on QuestDB
 * 9.3.4), and it returns null for 0, hence the CASE. The two integers come
 * from a checked ladder, never from text.
 */
function bucketExpression(ladder: ResolvedLadder): string {
  return `CASE WHEN value <= 0 THEN ${ladder.lowest} ELSE greatest(${ladder.lowest}, CAST(floor(log(value) * ${ladder.bucketsPerDecade}) AS INT)) END`;
}

/** Filtered columns that createTableStatements creates in every version of the tables. */
const CREATED_COLUMNS: ReadonlySet<string> = new Set(['metric', 'agent', 'state']);

/** A WHERE clause and its bind values. `empty` is true when a filtered column does not exist, so no row can match. */
interface Where {
  sql: string;
  values: unknown[];
  empty: boolean;
}

/**
 * Heatmap queries on QuestDB over the PostgreSQL wire protocol: counts per
 * cell with `SAMPLE BY`, which QuestDB 9.3.4 runs as a parallel GROUP BY
 * over the time-filtered partitions.
 *
 * Time buckets of `SAMPLE BY <step>T` start at multiples of the step since
 * the Unix epoch, because ALIGN TO CALENDAR (the default) without a time
 * zone or offset aligns fixed-length buckets that way. The store contract
 * checks this with a 7-minute step.
 */
export class QuestDBHeatmapQueries {
  constructor(
    private readonly pool: pg.Pool,
    private readonly tables: QuestDBTables,
  ) {}

  async queryHeatmap(query: HeatmapQuery): Promise<Heatmap> {
    const ladder = checkHeatmapQuery(query);
    const where = await this.sampleWhere(query.metric, query.from, query.to, query.filter);
    if (where.empty) return assembleHeatmap(query, ladder, []);

    const result = await this.pool.query<{ ts: number; bucket: number; count: number }>({
      text: `SELECT ts, ${bucketExpression(ladder)} AS bucket, count() AS count
        FROM ${this.tables.metrics}
        ${where.sql}
        SAMPLE BY ${query.step}T`,
      values: where.values,
    });
    return assembleHeatmap(
      query,
      ladder,
      result.rows.map((row) => ({ time: row.ts, bucket: row.bucket, count: row.count })),
    );
  }

  async queryHeatmapCell(query: HeatmapCellQuery): Promise<CellAgent[]> {
    const { ladder, limit } = checkHeatmapCellQuery(query);
    const where = await this.sampleWhere(query.metric, query.from, query.to, query.filter);
    if (where.empty) return [];

    where.values.push(query.bucket);
    const result = await this.pool.query<{ agent: string; count: number }>({
      text: `SELECT agent, count() AS count
        FROM ${this.tables.metrics}
        ${where.sql} AND ${bucketExpression(ladder)} = $${where.values.length}
        GROUP BY agent
        ORDER BY count DESC, agent
        LIMIT ${limit}`,
      values: where.values,
    });
    return result.rows.map((row) => ({ agentId: row.agent, count: row.count }));
  }

  async queryOutlierMarks(query: OutlierMarkQuery): Promise<OutlierMark[]> {
    const limit = checkOutlierMarkQuery(query);
    const where = await this.where(this.tables.alerts, query.from, query.to, [['outlier_metric', query.metric], ['state', 'firing']], query.filter);
    if (where.empty) return [];

    const result = await this.pool.query<{ ts: number; agent: string; value: number | null; rule: string }>({
      text: `SELECT ts, agent, value, rule FROM ${this.tables.alerts} ${where.sql} ORDER BY ts, agent, rule LIMIT ${limit}`,
      values: where.values,
    });
    // QuestDB stores NaN as null in a DOUBLE column.
    return result.rows.map((row) => ({ ts: row.ts, agentId: row.agent, value: row.value ?? Number.NaN, rule: row.rule }));
  }

  private sampleWhere(metric: string, from: number, to: number, filter: HeatmapFilter | undefined): Promise<Where> {
    return this.where(this.tables.metrics, from, to, [['metric', metric]], filter);
  }

  /**
   * Builds `WHERE ts >= $1 AND ts < $2 AND column = $n ...` from fixed
   * columns and the filter. A tag or label column exists only once ILP
   * wrote a row with that key, so a filter on a missing one matches nothing.
   * Column names are compared case-sensitively, because QuestDB would
   * resolve `tag_Env` to an existing `tag_env` column, while the DuckDB
   * store keeps `Env` and `env` apart.
   */
  private async where(
    table: string,
    from: number,
    to: number,
    fixed: Array<[column: string, value: string]>,
    filter: HeatmapFilter | undefined,
  ): Promise<Where> {
    const matchers: Array<[column: string, value: string]> = [...fixed];
    if (filter?.agentId !== undefined) matchers.push(['agent', filter.agentId]);
    for (const [name, value] of Object.entries(filter?.tags ?? {})) matchers.push([TAG_COLUMN_PREFIX + name, value]);
    for (const [name, value] of Object.entries(filter?.labels ?? {})) matchers.push([LABEL_COLUMN_PREFIX + name, value]);

    const values: unknown[] = [toIso(from), toIso(to)];
    let sql = 'WHERE ts >= $1 AND ts < $2';
    const columns = matchers.some(([column]) => !CREATED_COLUMNS.has(column)) ? await this.columnsOf(table) : CREATED_COLUMNS;
    for (const [column, value] of matchers) {
      if (!columns.has(column)) return { sql, values, empty: true };
      values.push(value);
      sql += ` AND ${column} = $${values.length}`;
    }
    return { sql, values, empty: false };
  }

  private async columnsOf(table: string): Promise<ReadonlySet<string>> {
    // table_columns() takes no bind variable; table names come from the checked table_prefix.
    const result = await this.pool.query<{ column: string }>(`SELECT "column" FROM table_columns('${table}')`);
    return new Set(result.rows.map((row) => row.column));
  }
}
