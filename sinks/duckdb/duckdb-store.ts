import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BIGINT, type DuckDBConnection, DuckDBInstance, DOUBLE, INTEGER, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import type { Logger } from '../../pipeline/log/logger.js';
import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import type { Decision } from '../../pipeline/messages/decision.js';
import type { IngestedBatch } from '../../pipeline/messages/metric-batch.js';
import type { CellAgent, Heatmap, HeatmapCellQuery, HeatmapQuery, OutlierMark, OutlierMarkQuery } from '../../pipeline/store/heatmap.js';
import type { AlertQuery, DecisionQuery, DeliveryRecord, SampleQuery, Store, StoredSample } from '../../pipeline/store/store.js';
import type { DeliveryQuery, DeliveryReader } from '../store-queries.js';
import type { DuckDBConfig } from './config.js';
import { DuckDBHeatmapQueries } from './heatmap-query.js';
import { IdIndex } from './id-index.js';
import { DuckDBQueries } from './query.js';
import { SampleWriter, STRING_MAP, toMapValue } from './sample-writer.js';
import { CREATE_STAGING, CREATE_TABLES } from './schema.js';

export interface DuckDBStoreOptions {
  config: DuckDBConfig;
  logger: Logger;
}

const INSERT_ALERT = `INSERT OR IGNORE INTO alerts
  (ts, fingerprint, sequence, rule, state, severity, agent, value, active_at, labels, tags, annotations, notify, outlier_metric)
  VALUES (epoch_ms($1), $2, $3, $4, $5, $6, $7, $8, epoch_ms($9), $10, $11, $12, $13, $14)`;

const INSERT_DELIVERY = `INSERT OR IGNORE INTO deliveries
  (ts, idempotency_key, fingerprint, receiver, channel, outcome, attempts, error)
  VALUES (epoch_ms($1), $2, $3, $4, $5, $6, $7, $8)`;

const INSERT_DECISION = `INSERT OR IGNORE INTO decisions
  (ts, id, fingerprint, alert_key, state, rule, agent, reason, receiver, group_key, notification_key, silence_id, blackout_window, inhibited_by, detail)
  VALUES (epoch_ms($1), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`;

/**
 * The store of the embedded deployment: one DuckDB file (schema in
 * schema.ts). Writes run one at a time, each in its own transaction, on one
 * connection; queries use a second connection and see every committed write.
 * A write resolves after its COMMIT, which DuckDB makes durable by an fsync
 * of the write-ahead log (seen with strace on @duckdb/node-api 1.5.6-r.1).
 *
 * ```ts
 * const store = new DuckDBStore({ config: duckdbConfigSchema.parse({ path: './data/fleetpulse.duckdb' }), logger });
 * await store.init();
 * await store.writeSamples(batches);
 * await store.close();
 * ```
 */
export class DuckDBStore implements Store, DeliveryReader {
  private instance?: DuckDBInstance;
  private writeConnection?: DuckDBConnection;
  private queries?: DuckDBQueries;
  private heatmapQueries?: DuckDBHeatmapQueries;
  private readConnection?: DuckDBConnection;
  private readonly index = new IdIndex();
  private sampleWriter?: SampleWriter;
  /** The write in progress, or the last one; each write chains onto it. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: DuckDBStoreOptions) {}

  /** Opens the file (creating it and its directory when missing), creates tables and loads series ids. */
  async init(): Promise<void> {
    if (this.instance) return;
    const { config } = this.options;
    if (config.path !== ':memory:') await mkdir(dirname(config.path), { recursive: true });

    const settings: Record<string, string> = {};
    if (config.threads !== undefined) settings.threads = String(config.threads);
    if (config.memory_limit !== undefined) settings.memory_limit = config.memory_limit;
    const instance = await DuckDBInstance.create(config.path, settings);
    const writeConnection = await instance.connect();
    for (const statement of CREATE_TABLES) await writeConnection.run(statement);
    for (const statement of CREATE_STAGING) await writeConnection.run(statement);

    const series = await writeConnection.runAndReadAll('SELECT series_id, agent, metric, series FROM series');
    for (const [id, agentId, metric, key] of series.getRowsJS()) this.index.loadSeries(id as number, agentId as string, metric as string, key as string);
    const tagSets = await writeConnection.runAndReadAll('SELECT tag_set_id, tag_set FROM tag_sets');
    for (const [id, tagSet] of tagSets.getRowsJS()) this.index.loadTagSet(id as number, tagSet as string);

    this.readConnection = await instance.connect();
    this.queries = new DuckDBQueries(this.readConnection);
    this.heatmapQueries = new DuckDBHeatmapQueries(this.readConnection);
    this.writeConnection = writeConnection;
    this.sampleWriter = new SampleWriter(writeConnection, this.index);
    this.instance = instance;
    this.options.logger.info({ path: config.path, series: series.currentRowCount, tagSets: tagSets.currentRowCount }, 'DuckDB store opened');
  }

  writeSamples(batches: readonly IngestedBatch[]): Promise<void> {
    return this.write(async () => this.sampleWriter!.write(batches));
  }

  writeAlerts(events: readonly AlertEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.write(async (connection) => {
      const statement = await connection.prepare(INSERT_ALERT);
      for (const event of events) {
        statement.bind(
          [
            BigInt(event.at),
            event.fingerprint,
            BigInt(event.sequence),
            event.rule,
            event.state,
            event.severity,
            event.agentId,
            event.value,
            BigInt(event.activeAt),
            toMapValue(event.labels),
            toMapValue(event.tags),
            toMapValue(event.annotations),
            listValue(event.notify ?? []),
            event.outlierMetric ?? null,
          ],
          [BIGINT, VARCHAR, BIGINT, VARCHAR, VARCHAR, VARCHAR, VARCHAR, DOUBLE, BIGINT, STRING_MAP, STRING_MAP, STRING_MAP, LIST(VARCHAR), VARCHAR],
        );
        await statement.run();
      }
    });
  }

  writeDeliveries(deliveries: readonly DeliveryRecord[]): Promise<void> {
    if (deliveries.length === 0) return Promise.resolve();
    return this.write(async (connection) => {
      const statement = await connection.prepare(INSERT_DELIVERY);
      for (const record of deliveries) {
        statement.bind(
          [BigInt(record.ts), record.idempotencyKey, record.fingerprint, record.receiver, record.channel, record.outcome, record.attempts, record.error ?? null],
          [BIGINT, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, INTEGER, VARCHAR],
        );
        await statement.run();
      }
    });
  }

  writeDecisions(decisions: readonly Decision[]): Promise<void> {
    if (decisions.length === 0) return Promise.resolve();
    return this.write(async (connection) => {
      const statement = await connection.prepare(INSERT_DECISION);
      for (const decision of decisions) {
        statement.bind(
          [
            BigInt(decision.ts),
            decision.id,
            decision.fingerprint,
            decision.alertKey,
            decision.state,
            decision.rule,
            decision.agentId,
            decision.reason,
            decision.receiver ?? null,
            decision.groupKey ?? null,
            decision.notificationKey ?? null,
            decision.silenceId ?? null,
            decision.blackoutWindow ?? null,
            decision.inhibitedBy ?? null,
            decision.detail ?? null,
          ],
          [BIGINT, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR],
        );
        await statement.run();
      }
    });
  }

  querySamples(query: SampleQuery): Promise<StoredSample[]> {
    return this.requireQueries().querySamples(query);
  }

  queryAlerts(query: AlertQuery): Promise<AlertEvent[]> {
    return this.requireQueries().queryAlerts(query);
  }

  queryDecisions(query: DecisionQuery): Promise<Decision[]> {
    return this.requireQueries().queryDecisions(query);
  }

  queryDeliveries(query: DeliveryQuery): Promise<DeliveryRecord[]> {
    return this.requireQueries().queryDeliveries(query);
  }

  queryHeatmap(query: HeatmapQuery): Promise<Heatmap> {
    return this.requireHeatmapQueries().queryHeatmap(query);
  }

  queryHeatmapCell(query: HeatmapCellQuery): Promise<CellAgent[]> {
    return this.requireHeatmapQueries().queryHeatmapCell(query);
  }

  queryOutlierMarks(query: OutlierMarkQuery): Promise<OutlierMark[]> {
    return this.requireHeatmapQueries().queryOutlierMarks(query);
  }

  /** Waits for the writes already queued, checkpoints the write-ahead log into the file and closes it. */
  async close(): Promise<void> {
    if (this.closed || !this.instance) return;
    this.closed = true;
    await this.tail;

    try {
      await this.writeConnection!.run('CHECKPOINT');
    } catch (error) {
      // DuckDB replays the write-ahead log on the next open, so no committed row is lost.
      this.options.logger.warn({ error: (error as Error).message }, 'DuckDB checkpoint at close failed');
    }
    this.sampleWriter!.close();
    this.readConnection!.closeSync();
    this.writeConnection!.closeSync();
    this.instance.closeSync();
    this.instance = undefined;
    this.queries = undefined;
    this.heatmapQueries = undefined;
  }

  /**
   * Runs `work` in a transaction on the write connection after every write
   * queued before it. On failure the transaction is rolled back, the series
   * and tag set ids it handed out are forgotten, and the error is rethrown.
   */
  private write(work: (connection: DuckDBConnection) => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new Error('DuckDBStore is closed'));
    const connection = this.writeConnection;
    if (!connection) return Promise.reject(new Error('DuckDBStore.init() must complete before writes'));

    const run = async (): Promise<void> => {
      await connection.run('BEGIN TRANSACTION');
      try {
        await work(connection);
        await connection.run('COMMIT');
        this.index.commit();
      } catch (error) {
        this.index.rollback();
        this.sampleWriter!.discard();
        try {
          await connection.run('ROLLBACK');
        } catch (rollbackError) {
          // A failed COMMIT has already ended the transaction, so there is nothing to roll back.
          this.options.logger.debug({ error: (rollbackError as Error).message }, 'DuckDB rollback after a failed write raised');
        }
        throw error;
      }
    };

    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private requireQueries(): DuckDBQueries {
    if (!this.queries) throw new Error('DuckDBStore.init() must complete before queries');
    return this.queries;
  }

  private requireHeatmapQueries(): DuckDBHeatmapQueries {
    if (!this.heatmapQueries) throw new Error('DuckDBStore.init() must complete before queries');
    return this.heatmapQueries;
  }
}
