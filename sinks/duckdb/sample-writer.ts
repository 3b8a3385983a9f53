import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBVector,
  DOUBLE,
  INTEGER,
  MAP,
  mapValue,
  VARCHAR,
} from '@duckdb/node-api';
import type { IngestedBatch } from '../../pipeline/messages/metric-batch.js';
import type { IdIndex } from './id-index.js';
import { MOVE_STAGED_SAMPLES, MOVE_STAGED_SERIES, MOVE_STAGED_TAG_SETS } from './schema.js';

/** Column types of samples_staging, in order: series_id, ts_ms, value, received_at_ms, tag_set_id. */
const STAGING_TYPES = [INTEGER, DOUBLE, DOUBLE, DOUBLE, INTEGER];
/** Rows per data chunk: DuckDB's standard vector size. */
const CHUNK_ROWS = 2_048;
export const STRING_MAP = MAP(VARCHAR, VARCHAR);

/** Converts a record to the MAP value DuckDB's bindings take. */
export const toMapValue = (record: Readonly<Record<string, string>>) =>
  mapValue(Object.entries(record).map(([key, value]) => ({ key, value })));

interface Appenders {
  samples: DuckDBAppender;
  series: DuckDBAppender;
  tagSets: DuckDBAppender;
}

/**
 * Writes samples through the staging tables on the store's write connection.
 * The appenders live as long as the writer, because creating them per write
 * cost more than a millisecond each in the bench/store-write.ts profile.
 *
 * The INSERT statements that move staged rows are sent as text each time.
 * Re-running them as prepared statements while a long-lived appender fills
 * the staging table inserted wrong values (such as 536985107 for a staged 3)
 * with @duckdb/node-api 1.5.6-r.1.
 */
export class SampleWriter {
  private appenders?: Appenders;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly index: IdIndex,
  ) {}

  /**
   * Writes the samples of `batches` inside the caller's open transaction.
   * It stages them in whole data chunks and inserts the series and tag sets
   * seen for the first time. Then it moves the staged samples into `samples`
   * with INSERT OR IGNORE, which drops rows already stored by a replayed
   * write. The caller commits, or rolls back and calls `discard()` and
   * `index.rollback()`.
   */
  async write(batches: readonly IngestedBatch[]): Promise<void> {
    let total = 0;
    for (const batch of batches) total += batch.samples.length;
    if (total === 0) return;

    const appenders = (this.appenders ??= await this.createAppenders());

    this.stageSamples(appenders.samples, batches, total);
    appenders.samples.flushSync();

    if (this.index.newTagSets.length > 0) {
      for (const tagSet of this.index.newTagSets) {
        appenders.tagSets.appendInteger(tagSet.id);
        appenders.tagSets.appendVarchar(tagSet.tagSet);
        appenders.tagSets.appendVarchar(JSON.stringify(tagSet.tags));
        appenders.tagSets.endRow();
      }
      appenders.tagSets.flushSync();
      await this.connection.run(MOVE_STAGED_TAG_SETS);
      await this.connection.run('TRUNCATE tag_sets_staging');
    }

    if (this.index.newSeries.length > 0) {
      for (const series of this.index.newSeries) {
        appenders.series.appendInteger(series.id);
        appenders.series.appendVarchar(series.agentId);
        appenders.series.appendVarchar(series.metric);
        appenders.series.appendVarchar(series.series);
        appenders.series.appendVarchar(JSON.stringify(series.labels));
        appenders.series.endRow();
      }
      appenders.series.flushSync();
      await this.connection.run(MOVE_STAGED_SERIES);
      await this.connection.run('TRUNCATE series_staging');
    }

    await this.connection.run(MOVE_STAGED_SAMPLES);
    await this.connection.run('TRUNCATE samples_staging');
  }

  /**
   * Drops the appenders after a failed write: rows they still buffer must not
   * reach a later transaction. The next write creates new ones.
   */
  discard(): void {
    const appenders = this.appenders;
    this.appenders = undefined;
    if (!appenders) return;
    for (const appender of [appenders.samples, appenders.series, appenders.tagSets]) {
      try {
        appender.clear();
        appender.closeSync();
      } catch {
        // The write has failed already and its error is the one to report;
        // the appender is dropped whether or not it closes cleanly.
      }
    }
  }

  close(): void {
    this.discard();
  }

  private async createAppenders(): Promise<Appenders> {
    return {
      samples: await this.connection.createAppender('samples_staging', 'main', 'temp'),
      series: await this.connection.createAppender('series_staging', 'main', 'temp'),
      tagSets: await this.connection.createAppender('tag_sets_staging', 'main', 'temp'),
    };
  }

  /** Fills data chunks column by column through typed vectors, so a sample costs no call into DuckDB. */
  private stageSamples(appender: DuckDBAppender, batches: readonly IngestedBatch[], total: number): void {
    let remaining = total;
    let chunk: DuckDBDataChunk | undefined;
    let vectors: DuckDBVector[] = [];
    let rows = 0;
    let row = 0;

    for (const batch of batches) {
      const tagSetId = this.index.tagSetId(batch.tags);
      for (const sample of batch.samples) {
        if (chunk === undefined) {
          rows = Math.min(CHUNK_ROWS, remaining);
          const created = DuckDBDataChunk.create(STAGING_TYPES, rows);
          vectors = STAGING_TYPES.map((_, column) => created.getColumnVector(column));
          chunk = created;
          row = 0;
        }

        vectors[0]!.setItem(row, this.index.seriesId(batch.agentId, sample.metric, sample.labels));
        vectors[1]!.setItem(row, sample.ts);
        vectors[2]!.setItem(row, sample.value);
        vectors[3]!.setItem(row, batch.receivedAt);
        vectors[4]!.setItem(row, tagSetId);
        row++;
        remaining--;

        if (row === rows) {
          for (const vector of vectors) vector.flush();
          appender.appendDataChunk(chunk);
          chunk = undefined;
        }
      }
    }
  }
}
