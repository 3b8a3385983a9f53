import type { SenderBuffer } from '@questdb/nodejs-client';
import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import type { Decision } from '../../pipeline/messages/decision.js';
import type { IngestedBatch, Sample } from '../../pipeline/messages/metric-batch.js';
import type { DeliveryRecord } from '../../pipeline/store/store.js';
import { labelSetKey } from '../label-set.js';
import { LABEL_COLUMN_PREFIX, TAG_COLUMN_PREFIX } from './schema.js';

/** QuestDB's default maximum length of a table or column name (`cairo.max.file.name.length`). */
const MAX_COLUMN_NAME_LENGTH = 127;

/** Keys that make a valid column name once prefixed: the label name syntax of the metric batch format. */
const COLUMN_KEY = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Tag and label keys left out of rows because they cannot become a QuestDB
 * column. The store logs one line per write when any were skipped.
 */
export class SkippedColumns {
  count = 0;
  /** Up to five distinct column names, for the log line. */
  readonly examples: string[] = [];

  add(column: string): void {
    this.count++;
    if (this.examples.length < 5 && !this.examples.includes(column)) this.examples.push(column);
  }
}

/**
 * Appends one metrics row: symbols agent, metric, series, `tag_<key>` and
 * `label_<key>`, then `value` and `received_at`, with the sample's time as
 * the designated timestamp. `value` is always written as a double, even for
 * integral values, so that a first sample of 1 cannot make the column a LONG.
 *
 * NOTE: @questdb/nodejs-client 4.2.0 writes every character through its own
 * Buffer.write call. Encoding took about 60% of the CPU time in a profile of
 * bench/store-write.ts and held the store to about 30,000 samples per CPU
 * second on a 2-core AMD EPYC VM.
 */
export function encodeSampleRow(buffer: SenderBuffer, table: string, batch: IngestedBatch, sample: Sample, skipped: SkippedColumns): void {
  buffer.table(table).symbol('agent', batch.agentId).symbol('metric', sample.metric).symbol('series', labelSetKey(sample.labels));
  writeMapSymbols(buffer, TAG_COLUMN_PREFIX, batch.tags, skipped);
  writeMapSymbols(buffer, LABEL_COLUMN_PREFIX, sample.labels, skipped);
  buffer.floatColumn('value', sample.value).timestampColumn('received_at', batch.receivedAt, 'ms').at(sample.ts, 'ms');
}

/**
 * Appends one alerts row. Annotations and notify are JSON text, labels and
 * tags `label_*` and `tag_*` symbols. `outlier_metric` is left null when the
 * event has none.
 */
export function encodeAlertRow(buffer: SenderBuffer, table: string, event: AlertEvent, skipped: SkippedColumns): void {
  buffer
    .table(table)
    .symbol('fingerprint', event.fingerprint)
    .symbol('rule', event.rule)
    .symbol('state', event.state)
    .symbol('severity', event.severity)
    .symbol('agent', event.agentId);
  if (event.outlierMetric !== undefined) buffer.symbol('outlier_metric', event.outlierMetric);
  writeMapSymbols(buffer, TAG_COLUMN_PREFIX, event.tags, skipped);
  writeMapSymbols(buffer, LABEL_COLUMN_PREFIX, event.labels, skipped);
  buffer
    .intColumn('sequence', event.sequence)
    .floatColumn('value', event.value)
    .timestampColumn('active_at', event.activeAt, 'ms')
    .stringColumn('annotations', JSON.stringify(event.annotations))
    .stringColumn('notify', JSON.stringify(event.notify ?? []))
    .at(event.at, 'ms');
}

/** Appends one deliveries row; `error` is left null when the record has none. */
export function encodeDeliveryRow(buffer: SenderBuffer, table: string, record: DeliveryRecord): void {
  buffer
    .table(table)
    .symbol('fingerprint', record.fingerprint)
    .symbol('receiver', record.receiver)
    .symbol('channel', record.channel)
    .symbol('outcome', record.outcome)
    .stringColumn('idempotency_key', record.idempotencyKey)
    .intColumn('attempts', record.attempts);
  if (record.error !== undefined) buffer.stringColumn('error', record.error);
  buffer.at(record.ts, 'ms');
}

/** Appends one decisions row; optional fields are left null when absent. */
export function encodeDecisionRow(buffer: SenderBuffer, table: string, decision: Decision): void {
  buffer
    .table(table)
    .symbol('fingerprint', decision.fingerprint)
    .symbol('state', decision.state)
    .symbol('rule', decision.rule)
    .symbol('agent', decision.agentId)
    .symbol('reason', decision.reason);
  if (decision.receiver !== undefined) buffer.symbol('receiver', decision.receiver);
  buffer.stringColumn('id', decision.id).stringColumn('alert_key', decision.alertKey);
  const optional: Array<[column: string, value: string | undefined]> = [
    ['group_key', decision.groupKey],
    ['notification_key', decision.notificationKey],
    ['silence_id', decision.silenceId],
    ['blackout_window', decision.blackoutWindow],
    ['inhibited_by', decision.inhibitedBy],
    ['detail', decision.detail],
  ];
  for (const [column, value] of optional) {
    if (value !== undefined) buffer.stringColumn(column, value);
  }
  buffer.at(decision.ts, 'ms');
}

function writeMapSymbols(buffer: SenderBuffer, prefix: string, map: Readonly<Record<string, string>>, skipped: SkippedColumns): void {
  let previous: string[] | undefined;
  for (const key in map) {
    const column = prefix + key;
    if (!COLUMN_KEY.test(key) || column.length > MAX_COLUMN_NAME_LENGTH) {
      skipped.add(column);
      continue;
    }

    // QuestDB column names are case-insensitive, so `label_Core` and
    // `label_core` name one column, and naming it twice in a row makes QuestDB
    // reject the whole request. The first key in object order wins.
    const folded = key.toLowerCase();
    if (previous?.includes(folded)) {
      skipped.add(column);
      continue;
    }
    (previous ??= []).push(folded);

    buffer.symbol(column, map[key]);
  }
}
