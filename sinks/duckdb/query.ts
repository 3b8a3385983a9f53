import { BIGINT, type DuckDBConnection, type DuckDBType, INTEGER, VARCHAR, type DuckDBValue } from '@duckdb/node-api';
import type { AlertEvent, AlertState, Severity } from '../../pipeline/messages/alert-event.js';
import type { Decision } from '../../pipeline/messages/decision.js';
import type { AlertQuery, DecisionQuery, DeliveryRecord, SampleQuery, StoredSample } from '../../pipeline/store/store.js';
import { checkQueryBounds, type DeliveryQuery } from '../store-queries.js';
import { decisionFromRow, deliveryFromRow } from '../../pipeline/store/rows.js';

/** A MAP(VARCHAR, VARCHAR) as DuckDB's JS conversion returns it. */
type MapEntries = Array<{ key: string; value: string }>;

const fromMapEntries = (entries: unknown): Record<string, string> => {
  const record: Record<string, string> = {};
  for (const { key, value } of (entries ?? []) as MapEntries) record[key] = value;
  return record;
};

/**
 * Builds a parameterised WHERE clause over `ts` (milliseconds bound as
 * BIGINT) and equality filters that are set. Column names come from code.
 */
function whereClause(alias: string, query: { from: number; to: number }, filters: Array<[column: string, value: string | undefined]>) {
  const values: Record<string, DuckDBValue> = { from: BigInt(query.from), to: BigInt(query.to) };
  const types: Record<string, DuckDBType> = { from: BIGINT, to: BIGINT };
  let sql = `WHERE ${alias}.ts >= epoch_ms($from) AND ${alias}.ts < epoch_ms($to)`;
  filters.forEach(([column, value], i) => {
    if (value === undefined) return;
    const name = `f${i}`;
    values[name] = value;
    types[name] = VARCHAR;
    sql += ` AND ${column} = $${name}`;
  });
  return { sql, values, types };
}

/** Queries of the embedded store; they see every committed write at once. */
export class DuckDBQueries {
  constructor(private readonly connection: DuckDBConnection) {}

  async querySamples(query: SampleQuery): Promise<StoredSample[]> {
    const limit = checkQueryBounds(query);
    const where = whereClause('s', query, [
      ['se.agent', query.agentId],
      ['se.metric', query.metric],
    ]);
    const reader = await this.connection.runAndReadAll(
      `SELECT epoch_ms(s.ts) AS ts, se.agent, se.metric, s.value, se.labels, t.tags
       FROM samples s
       JOIN series se ON se.series_id = s.series_id
       JOIN tag_sets t ON t.tag_set_id = s.tag_set_id
       ${where.sql}
       ORDER BY s.ts DESC
       LIMIT $limit`,
      { ...where.values, limit },
      { ...where.types, limit: INTEGER },
    );
    return reader.getRowObjectsJS().map((row) => ({
      ts: Number(row.ts),
      agentId: row.agent as string,
      metric: row.metric as string,
      value: row.value as number,
      labels: fromMapEntries(row.labels),
      tags: fromMapEntries(row.tags),
    }));
  }

  async queryAlerts(query: AlertQuery): Promise<AlertEvent[]> {
    const limit = checkQueryBounds(query);
    const where = whereClause('a', query, [
      ['a.fingerprint', query.fingerprint],
      ['a.agent', query.agentId],
    ]);
    const reader = await this.connection.runAndReadAll(
      `SELECT epoch_ms(a.ts) AS ts, a.fingerprint, a.sequence, a.rule, a.state, a.severity, a.agent, a.value,
              epoch_ms(a.active_at) AS active_at, a.labels, a.tags, a.annotations, a.notify, a.outlier_metric
       FROM alerts a
       ${where.sql}
       ORDER BY a.ts DESC, a.sequence DESC
       LIMIT $limit`,
      { ...where.values, limit },
      { ...where.types, limit: INTEGER },
    );
    return reader.getRowObjectsJS().map((row) => {
      const event: AlertEvent = {
        version: 1,
        fingerprint: row.fingerprint as string,
        sequence: Number(row.sequence),
        rule: row.rule as string,
        state: row.state as AlertState,
        severity: row.severity as Severity,
        agentId: row.agent as string,
        labels: fromMapEntries(row.labels),
        tags: fromMapEntries(row.tags),
        annotations: fromMapEntries(row.annotations),
        notify: row.notify as string[],
        value: row.value === null ? Number.NaN : (row.value as number),
        activeAt: Number(row.active_at),
        at: Number(row.ts),
      };
      if (row.outlier_metric !== null) event.outlierMetric = row.outlier_metric as string;
      return event;
    });
  }

  async queryDeliveries(query: DeliveryQuery): Promise<DeliveryRecord[]> {
    const limit = checkQueryBounds(query);
    const where = whereClause('d', query, [
      ['d.idempotency_key', query.idempotencyKey],
      ['d.fingerprint', query.fingerprint],
    ]);
    const reader = await this.connection.runAndReadAll(
      `SELECT epoch_ms(d.ts) AS ts, d.idempotency_key, d.fingerprint, d.receiver, d.channel, d.outcome, d.attempts, d.error
       FROM deliveries d
       ${where.sql}
       ORDER BY d.ts DESC
       LIMIT $limit`,
      { ...where.values, limit },
      { ...where.types, limit: INTEGER },
    );
    return reader.getRowObjectsJS().map((row) => deliveryFromRow(row, Number(row.ts)));
  }

  async queryDecisions(query: DecisionQuery): Promise<Decision[]> {
    const limit = checkQueryBounds(query);
    const where = whereClause('d', query, [['d.fingerprint', query.fingerprint]]);
    const reader = await this.connection.runAndReadAll(
      `SELECT epoch_ms(d.ts) AS ts, d.id, d.fingerprint, d.alert_key, d.state, d.rule, d.agent, d.reason, d.receiver,
              d.group_key, d.notification_key, d.silence_id, d.blackout_window, d.inhibited_by, d.detail
       FROM decisions d
       ${where.sql}
       ORDER BY d.ts DESC, d.id DESC
       LIMIT $limit`,
      { ...where.values, limit },
      { ...where.types, limit: INTEGER },
    );
    return reader.getRowObjectsJS().map((row) => decisionFromRow(row, Number(row.ts)));
  }
}
