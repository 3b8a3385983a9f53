import type pg from 'pg';
import type { SenderBuffer } from '@questdb/nodejs-client';
import type { Clock } from '../../pipeline/clock/index.js';
import type { Logger } from '../../pipeline/log/logger.js';
import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import type { Decision } from '../../pipeline/messages/decision.js';
import type { IngestedBatch } from '../../pipeline/messages/metric-batch.js';
import type { CellAgent, Heatmap, HeatmapCellQuery, HeatmapQuery, OutlierMark, OutlierMarkQuery } from '../../pipeline/store/heatmap.js';
import type { AlertQuery, DecisionQuery, DeliveryRecord, SampleQuery, Store, StoredSample } from '../../pipeline/store/store.js';
import type { DeliveryQuery, DeliveryReader } from '../store-queries.js';
import type { QuestDBConfig } from './config.js';
import { encodeAlertRow, encodeDecisionRow, encodeDeliveryRow, encodeSampleRow, SkippedColumns } from './encoding.js';
import { QuestDBHeatmapQueries } from './heatmap-query.js';
import { createQueryPool, QuestDBQueries } from './query.js';
import { createTableStatements, type QuestDBTables, tableNames } from './schema.js';
import { IlpWriter } from './writer.js';

export interface QuestDBStoreOptions {
  config: QuestDBConfig;
  logger: Logger;
  /** Times the waits between write retries; the system clock unless given. */
  clock?: Clock;
}

/**
 * The store of the distributed deployment: writes go to QuestDB over ILP on
 * HTTP, table creation and queries over the PostgreSQL wire protocol.
 *
 * A write resolves once QuestDB acknowledged every ILP request it made, which
 * means the rows are in the tables' write-ahead logs. QuestDB applies those
 * logs asynchronously, so a query issued right after a write may not return
 * its rows yet; `pendingWalTransactions()` reports the backlog.
 *
 * ```ts
 * const store = new QuestDBStore({ config: questdbConfigSchema.parse({}), logger });
 * await store.init();
 * await store.writeSamples(batches);
 * const recent = await store.querySamples({ agentId: 'web-1', from: Date.now() - 60_000, to: Date.now() });
 * await store.close();
 * ```
 */
export class QuestDBStore implements Store, DeliveryReader {
  readonly tables: QuestDBTables;
  private readonly writer: IlpWriter;
  private pool?: pg.Pool;
  private queries?: QuestDBQueries;
  private heatmapQueries?: QuestDBHeatmapQueries;

  constructor(private readonly options: QuestDBStoreOptions) {
    const { config } = options;
    this.tables = tableNames(config.table_prefix);
    this.writer = new IlpWriter({
      url: config.http,
      requestTimeoutMs: config.request_timeout,
      maxAttempts: config.retry.max_attempts,
      backoff: { initialDelayMs: config.retry.initial_backoff, maxDelayMs: config.retry.max_backoff },
      logger: options.logger,
      clock: options.clock,
    });
  }

  /** Creates the tables when missing (see createTableStatements) and negotiates the ILP protocol version. */
  async init(): Promise<void> {
    const { config } = this.options;
    if (!this.pool) {
      this.pool = createQueryPool(config.pg, config.pool_size, config.request_timeout);
      this.pool.on('error', (error) => this.options.logger.warn({ error: error.message }, 'idle QuestDB query connection failed'));
      this.queries = new QuestDBQueries(this.pool, this.tables);
      this.heatmapQueries = new QuestDBHeatmapQueries(this.pool, this.tables);
    }

    for (const statement of createTableStatements(this.tables)) {
      await this.pool.query(statement);
    }
    await this.writer.open();
  }

  async writeSamples(batches: readonly IngestedBatch[]): Promise<void> {
    const table = this.tables.metrics;
    await this.writeRows(table, (buffer, skipped, emit) => {
      for (const batch of batches) {
        for (const sample of batch.samples) {
          encodeSampleRow(buffer, table, batch, sample, skipped);
          emit();
        }
      }
    });
  }

  async writeAlerts(events: readonly AlertEvent[]): Promise<void> {
    const table = this.tables.alerts;
    await this.writeRows(table, (buffer, skipped, emit) => {
      for (const event of events) {
        encodeAlertRow(buffer, table, event, skipped);
        emit();
      }
    });
  }

  async writeDeliveries(deliveries: readonly DeliveryRecord[]): Promise<void> {
    const table = this.tables.deliveries;
    await this.writeRows(table, (buffer, _skipped, emit) => {
      for (const record of deliveries) {
        encodeDeliveryRow(buffer, table, record);
        emit();
      }
    });
  }

  async writeDecisions(decisions: readonly Decision[]): Promise<void> {
    const table = this.tables.decisions;
    await this.writeRows(table, (buffer, _skipped, emit) => {
      for (const decision of decisions) {
        encodeDecisionRow(buffer, table, decision);
        emit();
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

  /** WAL transactions of this store's tables that QuestDB has committed but not applied yet. */
  pendingWalTransactions(): Promise<number> {
    return this.requireQueries().pendingWalTransactions(Object.values(this.tables));
  }

  async close(): Promise<void> {
    await this.writer.close();
    await this.pool?.end();
    this.pool = undefined;
    this.queries = undefined;
    this.heatmapQueries = undefined;
  }

  /**
   * Encodes rows into ILP buffers and sends each buffer once it contains
   * `max_rows_per_request` rows, then the rest. `emit` is called after every
   * row. Requests go out one after another, each retried on its own. A failed
   * request fails the write, but the rows of earlier requests stay written,
   * so the caller's retry of the whole write replays them, which dedup makes
   * harmless.
   */
  private async writeRows(
    table: string,
    encode: (buffer: SenderBuffer, skipped: SkippedColumns, emit: () => void) => void,
  ): Promise<void> {
    const maxRows = this.options.config.max_rows_per_request;
    const skipped = new SkippedColumns();
    const buffer = this.writer.newBuffer();
    const ready: Buffer[] = [];
    let rows = 0;

    encode(buffer, skipped, () => {
      rows++;
      if (rows === maxRows) {
        ready.push(buffer.toBufferNew()!);
        rows = 0;
      }
    });
    if (rows > 0) ready.push(buffer.toBufferNew()!);

    if (skipped.count > 0) {
      this.options.logger.warn(
        { table, skipped: skipped.count, examples: skipped.examples },
        'tags or labels left out of QuestDB rows: a key is not a valid column name, is longer than 127 characters with its prefix, or differs from another key only in case',
      );
    }

    for (const data of ready) {
      await this.writer.send(data, table);
    }
  }

  private requireQueries(): QuestDBQueries {
    if (!this.queries) throw new Error('QuestDBStore.init() must complete before queries');
    return this.queries;
  }

  private requireHeatmapQueries(): QuestDBHeatmapQueries {
    if (!this.heatmapQueries) throw new Error('QuestDBStore.init() must complete before queries');
    return this.heatmapQueries;
  }
}
