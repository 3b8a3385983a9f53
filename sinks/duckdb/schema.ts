/**
 * Tables of the embedded store. Column names match the QuestDB tables where
 * they hold the same thing.
 *
 * Samples are normalised, because the embedded deployment writes every sample
 * here and the primary-key check is the most expensive part of a write: a key
 * of a timestamp and an integer costs far less than one of four strings.
 * - `series`: one row per (agent, metric, label set), with the labels as a
 *   MAP(VARCHAR, VARCHAR) and `series` as the canonical label-set key (see
 *   labelSetKey). Ids are assigned by this process, counting up from 1.
 * - `tag_sets`: one row per distinct tag set, keyed by its canonical text.
 * - `samples`: (ts, series_id) is the primary key, so `INSERT OR IGNORE`
 *   drops a replayed sample. `tag_set_id` refers to the tags the agent had
 *   at ingest time.
 * - `metrics`: a view that joins them back into one row per sample, with
 *   the same columns as QuestDB's metrics table except that labels and tags are
 *   maps rather than `label_*` and `tag_*` columns.
 *
 * Alerts, deliveries and decisions are written rarely and stay flat. Alerts
 * are keyed by (fingerprint, sequence), which identifies a transition;
 * deliveries by (idempotency_key, ts); decisions by (id, ts), where `id`
 * hashes the decision's fields.
 */
export const CREATE_TABLES = [
  `CREATE TABLE IF NOT EXISTS series (
    series_id INTEGER PRIMARY KEY,
    agent VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    series VARCHAR NOT NULL,
    labels MAP(VARCHAR, VARCHAR) NOT NULL,
    UNIQUE (agent, metric, series)
  )`,
  `CREATE TABLE IF NOT EXISTS tag_sets (
    tag_set_id INTEGER PRIMARY KEY,
    tag_set VARCHAR NOT NULL,
    tags MAP(VARCHAR, VARCHAR) NOT NULL,
    UNIQUE (tag_set)
  )`,
  `CREATE TABLE IF NOT EXISTS samples (
    ts TIMESTAMP NOT NULL,
    series_id INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    received_at TIMESTAMP NOT NULL,
    tag_set_id INTEGER NOT NULL,
    PRIMARY KEY (ts, series_id)
  )`,
  `CREATE OR REPLACE VIEW metrics AS
    SELECT s.ts, s.received_at, se.agent, se.metric, se.series, s.value, se.labels, t.tags
    FROM samples s
    JOIN series se ON se.series_id = s.series_id
    JOIN tag_sets t ON t.tag_set_id = s.tag_set_id`,
  `CREATE TABLE IF NOT EXISTS alerts (
    ts TIMESTAMP NOT NULL,
    fingerprint VARCHAR NOT NULL,
    sequence BIGINT NOT NULL,
    rule VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    agent VARCHAR NOT NULL,
    value DOUBLE,
    active_at TIMESTAMP NOT NULL,
    labels MAP(VARCHAR, VARCHAR) NOT NULL,
    tags MAP(VARCHAR, VARCHAR) NOT NULL,
    annotations MAP(VARCHAR, VARCHAR) NOT NULL,
    notify VARCHAR[] NOT NULL,
    outlier_metric VARCHAR,
    PRIMARY KEY (fingerprint, sequence)
  )`,
  // Files created before the column existed get it here.
  `ALTER TABLE alerts ADD COLUMN IF NOT EXISTS outlier_metric VARCHAR`,
  `CREATE TABLE IF NOT EXISTS deliveries (
    ts TIMESTAMP NOT NULL,
    idempotency_key VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    receiver VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    error VARCHAR,
    PRIMARY KEY (idempotency_key, ts)
  )`,
  `CREATE TABLE IF NOT EXISTS decisions (
    ts TIMESTAMP NOT NULL,
    id VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    alert_key VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    agent VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    receiver VARCHAR,
    group_key VARCHAR,
    notification_key VARCHAR,
    silence_id VARCHAR,
    blackout_window VARCHAR,
    inhibited_by VARCHAR,
    detail VARCHAR,
    PRIMARY KEY (id, ts)
  )`,
  `CREATE INDEX IF NOT EXISTS decisions_fingerprint ON decisions (fingerprint)`,
];

/**
 * Per-connection staging tables that long-lived appenders fill. Their rows
 * move into the real tables with INSERT statements, because the appender
 * cannot skip rows that are already stored (INSERT OR IGNORE) and building
 * MAP values in JavaScript costs far more than casting JSON text in DuckDB.
 * Sample times are DOUBLE milliseconds (exact for integers below 2^53) so
 * that staging a sample needs no BigInt.
 */
export const CREATE_STAGING = [
  `CREATE TEMP TABLE IF NOT EXISTS samples_staging (
    series_id INTEGER,
    ts_ms DOUBLE,
    value DOUBLE,
    received_at_ms DOUBLE,
    tag_set_id INTEGER
  )`,
  `CREATE TEMP TABLE IF NOT EXISTS series_staging (
    series_id INTEGER,
    agent VARCHAR,
    metric VARCHAR,
    series VARCHAR,
    labels_json VARCHAR
  )`,
  `CREATE TEMP TABLE IF NOT EXISTS tag_sets_staging (
    tag_set_id INTEGER,
    tag_set VARCHAR,
    tags_json VARCHAR
  )`,
];

export const MOVE_STAGED_TAG_SETS = `INSERT INTO tag_sets (tag_set_id, tag_set, tags)
  SELECT tag_set_id, tag_set, CAST(tags_json::JSON AS MAP(VARCHAR, VARCHAR)) FROM tag_sets_staging`;

export const MOVE_STAGED_SERIES = `INSERT INTO series (series_id, agent, metric, series, labels)
  SELECT series_id, agent, metric, series, CAST(labels_json::JSON AS MAP(VARCHAR, VARCHAR)) FROM series_staging`;

export const MOVE_STAGED_SAMPLES = `INSERT OR IGNORE INTO samples (ts, series_id, value, received_at, tag_set_id)
  SELECT epoch_ms(ts_ms::BIGINT), series_id, value, epoch_ms(received_at_ms::BIGINT), tag_set_id FROM samples_staging`;
