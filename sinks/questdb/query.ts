import pg from 'pg';
import type { AlertEvent, AlertState, Severity } from '../../pipeline/messages/alert-event.js';
import type { Decision } from '../../pipeline/messages/decision.js';
import type { AlertQuery, DecisionQuery, DeliveryRecord, SampleQuery, StoredSample } from '../../pipeline/store/store.js';
import { checkQueryBounds, type DeliveryQuery } from '../store-queries.js';
import { decisionFromRow, deliveryFromRow } from '../../pipeline/store/rows.js';
import { LABEL_COLUMN_PREFIX, type QuestDBTables, TAG_COLUMN_PREFIX } from './schema.js';

const PG_INT8 = 20;
const PG_TIMESTAMP = 1114;
const PG_TIMESTAMPTZ = 1184;

/**
 * Reads QuestDB's text timestamps (`2026-01-01 00:00:00.123456`, UTC) as
 * milliseconds since the Unix epoch. pg's own parser would read a timestamp
 * without zone in the process's local time zone.
 */
function parseTimestamp(text: string): number {
  const iso = text.replace(' ', 'T');
  return Date.parse(/(Z|[+-]\d\d(:?\d\d)?)$/.test(iso) ? iso : `${iso}Z`);
}

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === PG_TIMESTAMP || oid === PG_TIMESTAMPTZ) return parseTimestamp;
    // LONG columns (sequence, attempts) hold counts far below 2^53.
    if (oid === PG_INT8) return Number;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** Creates a pool on QuestDB's PostgreSQL wire endpoint whose timestamps parse as UTC milliseconds. */
export function createQueryPool(connectionString: string, size: number, timeoutMs: number): pg.Pool {
  return new pg.Pool({
    connectionString,
    max: size,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    idleTimeoutMillis: 30_000,
    allowExitOnIdle: true,
    types,
  });
}

const toIso = (ms: number): string => new Date(ms).toISOString();

/**
 * Builds `WHERE ts >= $1 AND ts < $2 [AND column = $n ...]` from the filters
 * that are set. Table and column names come from code, never from input.
 */
function whereClause(from: number, to: number, filters: Array<[column: string, value: string | undefined]>): { sql: string; values: unknown[] } {
  const values: unknown[] = [toIso(from), toIso(to)];
  let sql = 'WHERE ts >= $1 AND ts < $2';
  for (const [column, value] of filters) {
    if (value === undefined) continue;
    values.push(value);
    sql += ` AND ${column} = $${values.length}`;
  }
  return { sql, values };
}

/**
 * Collects the non-null `tag_*` and `label_*` columns of a row into maps.
 * A row has null in the columns of keys it did not carry.
 */
function mapsFromColumns(row: Record<string, unknown>): { tags: Record<string, string>; labels: Record<string, string> } {
  const tags: Record<string, string> = {};
  const labels: Record<string, string> = {};
  for (const column in row) {
    const value = row[column];
    if (value === null || value === undefined) continue;
    if (column.startsWith(LABEL_COLUMN_PREFIX)) labels[column.slice(LABEL_COLUMN_PREFIX.length)] = String(value);
    else if (column.startsWith(TAG_COLUMN_PREFIX)) tags[column.slice(TAG_COLUMN_PREFIX.length)] = String(value);
  }
  return { tags, labels };
}

/**
 * Queries on the PostgreSQL wire endpoint. They read what QuestDB has applied
 * from its write-ahead logs, which can lag an acknowledged write by a few
 * hundred milliseconds or more under load. `pendingWalTransactions` returns
 * how far behind a table is.
 */
export class QuestDBQueries {
  constructor(
    private readonly pool: pg.Pool,
    private readonly tables: QuestDBTables,
  ) {}

  async querySamples(query: SampleQuery): Promise<StoredSample[]> {
    const limit = checkQueryBounds(query);
    const where = whereClause(query.from, query.to, [
      ['agent', query.agentId],
      ['metric', query.metric],
    ]);
    const result = await this.pool.query<Record<string, unknown>>({
      text: `SELECT * FROM ${this.tables.metrics} ${where.sql} ORDER BY ts DESC LIMIT ${limit}`,
      values: where.values,
    });
    return result.rows.map((row) => {
      const { tags, labels } = mapsFromColumns(row);
      return {
        ts: row.ts as number,
        agentId: row.agent as string,
        metric: row.metric as string,
        value: row.value as number,
        labels,
        tags,
      };
    });
  }

  async queryAlerts(query: AlertQuery): Promise<AlertEvent[]> {
    const limit = checkQueryBounds(query);
    const where = whereClause(query.from, query.to, [
      ['fingerprint', query.fingerprint],
      ['agent', query.agentId],
    ]);
    const result = await this.pool.query<Record<string, unknown>>({
      text: `SELECT * FROM ${this.tables.alerts} ${where.sql} ORDER BY ts DESC, sequence DESC LIMIT ${limit}`,
      values: where.values,
    });
    return result.rows.map((row) => {
      const { tags, labels } = mapsFromColumns(row);
      const event: AlertEvent = {
        version: 1,
        fingerprint: row.fingerprint as string,
        sequence: row.sequence as number,
        rule: row.rule as string,
        state: row.state as AlertState,
        severity: row.severity as Severity,
        agentId: row.agent as string,
        labels,
        tags,
        annotations: parseJson<Record<string, string>>(row.annotations, {}),
        notify: parseJson<string[]>(row.notify, []),
        // QuestDB stores NaN as null in a DOUBLE column.
        value: row.value === null ? Number.NaN : (row.value as number),
        activeAt: row.active_at as number,
        at: row.ts as number,
      };
      if (row.outlier_metric !== null && row.outlier_metric !== undefined) event.outlierMetric = row.outlier_metric as string;
      return event;
    });
  }

  async queryDeliveries(query: DeliveryQuery): Promise<DeliveryRecord[]> {
    const limit = checkQueryBounds(query);
    const where = whereClause(query.from, query.to, [
      ['idempotency_key', query.idempotencyKey],
      ['fingerprint', query.fingerprint],
    ]);
    const result = await this.pool.query<Record<string, unknown>>({
      text: `SELECT * FROM ${this.tables.deliveries} ${where.sql} ORDER BY ts DESC LIMIT ${limit}`,
      values: where.values,
    });
    return result.rows.map((row) => deliveryFromRow(row, row.ts as number));
  }

  async queryDecisions(query: DecisionQuery): Promise<Decision[]> {
    const limit = checkQueryBounds(query);
    const where = whereClause(query.from, query.to, [['fingerprint', query.fingerprint]]);
    const result = await this.pool.query<Record<string, unknown>>({
      text: `SELECT * FROM ${this.tables.decisions} ${where.sql} ORDER BY ts DESC, id DESC LIMIT ${limit}`,
      values: where.values,
    });
    return result.rows.map((row) => decisionFromRow(row, row.ts as number));
  }

  /**
   * Number of committed WAL transactions that QuestDB has not applied to the
   * given tables yet; at 0, queries return every acknowledged write.
   */
  async pendingWalTransactions(tables: readonly string[]): Promise<number> {
    const result = await this.pool.query<{ name: string; writerTxn: number; sequencerTxn: number; suspended: boolean }>(
      'SELECT name, writerTxn, sequencerTxn, suspended FROM wal_tables()',
    );
    let pending = 0;
    for (const row of result.rows) {
      if (!tables.includes(row.name)) continue;
      if (row.suspended) throw new Error(`QuestDB suspended WAL table ${row.name}; see wal_tables() and the server log`);
      pending += row.sequencerTxn - row.writerTxn;
    }
    return pending;
  }
}

function parseJson<T>(value: unknown, fallback: T): T {
  if (typeof value !== 'string' || value === '') return fallback;
  return JSON.parse(value) as T;
}

