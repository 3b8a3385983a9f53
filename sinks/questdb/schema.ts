/** Names of the tables, each with the configured prefix. */
export interface QuestDBTables {
  metrics: string;
  alerts: string;
  deliveries: string;
  decisions: string;
}

export function tableNames(prefix: string): QuestDBTables {
  return { metrics: `${prefix}metrics`, alerts: `${prefix}alerts`, deliveries: `${prefix}deliveries`, decisions: `${prefix}decisions` };
}

/** Column name prefixes of the per-key SYMBOL columns that ILP adds as new keys appear. */
export const TAG_COLUMN_PREFIX = 'tag_';
export const LABEL_COLUMN_PREFIX = 'label_';

/**
 * Statements that create the tables when missing. Every table is a WAL table
 * partitioned by day whose designated timestamp `ts` is the event time.
 *
 * The DEDUP UPSERT KEYS make a replayed write replace the rows it wrote the
 * first time instead of adding copies:
 * - metrics: one row per (ts, agent, metric, series), where `series` is the
 *   canonical label-set key (see labelSetKey);
 * - alerts: one row per transition (ts, fingerprint, sequence). ILP adds
 *   `outlier_metric` to an alerts table created before that column existed,
 *   with the first alert that carries it;
 * - deliveries: one row per (ts, idempotency_key);
 * - decisions: one row per (ts, id), where `id` hashes the decision's fields.
 *
 * `ALTER TABLE ... DEDUP ENABLE` runs after each CREATE, so a table that ILP
 * created before `init` ran (without dedup) gets the keys as well.
 */
export function createTableStatements(tables: QuestDBTables): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${tables.metrics} (
      ts TIMESTAMP,
      received_at TIMESTAMP,
      agent SYMBOL,
      metric SYMBOL,
      series SYMBOL,
      value DOUBLE
    ) TIMESTAMP(ts) PARTITION BY DAY WAL
    DEDUP UPSERT KEYS(ts, agent, metric, series)`,
    `ALTER TABLE ${tables.metrics} DEDUP ENABLE UPSERT KEYS(ts, agent, metric, series)`,

    `CREATE TABLE IF NOT EXISTS ${tables.alerts} (
      ts TIMESTAMP,
      fingerprint SYMBOL,
      rule SYMBOL,
      state SYMBOL,
      severity SYMBOL,
      agent SYMBOL,
      outlier_metric SYMBOL,
      sequence LONG,
      value DOUBLE,
      active_at TIMESTAMP,
      annotations VARCHAR,
      notify VARCHAR
    ) TIMESTAMP(ts) PARTITION BY DAY WAL
    DEDUP UPSERT KEYS(ts, fingerprint, sequence)`,
    `ALTER TABLE ${tables.alerts} DEDUP ENABLE UPSERT KEYS(ts, fingerprint, sequence)`,

    `CREATE TABLE IF NOT EXISTS ${tables.deliveries} (
      ts TIMESTAMP,
      idempotency_key VARCHAR,
      fingerprint SYMBOL,
      receiver SYMBOL,
      channel SYMBOL,
      outcome SYMBOL,
      attempts LONG,
      error VARCHAR
    ) TIMESTAMP(ts) PARTITION BY DAY WAL
    DEDUP UPSERT KEYS(ts, idempotency_key)`,
    `ALTER TABLE ${tables.deliveries} DEDUP ENABLE UPSERT KEYS(ts, idempotency_key)`,

    `CREATE TABLE IF NOT EXISTS ${tables.decisions} (
      ts TIMESTAMP,
      id VARCHAR,
      fingerprint SYMBOL,
      alert_key VARCHAR,
      state SYMBOL,
      rule SYMBOL,
      agent SYMBOL,
      reason SYMBOL,
      receiver SYMBOL,
      group_key VARCHAR,
      notification_key VARCHAR,
      silence_id VARCHAR,
      blackout_window VARCHAR,
      inhibited_by VARCHAR,
      detail VARCHAR
    ) TIMESTAMP(ts) PARTITION BY DAY WAL
    DEDUP UPSERT KEYS(ts, id)`,
    `ALTER TABLE ${tables.decisions} DEDUP ENABLE UPSERT KEYS(ts, id)`,
  ];
}
