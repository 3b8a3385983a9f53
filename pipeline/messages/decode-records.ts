import type { DeliveredRecord } from '../bus/bus.js';
import type { Logger } from '../log/logger.js';
import { PayloadError, type TopicSpec } from './topics.js';

/**
 * Decodes one record, or logs it and returns undefined when its payload is
 * invalid. A consumer skips such a record because retrying cannot make it readable.
 * Any other error is rethrown, so the bus delivers the record again.
 */
export function decodeRecord<T>(spec: TopicSpec<T>, record: DeliveredRecord, logger: Logger): T | undefined {
  try {
    return spec.decode(record.value);
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    logger.error({ err: error, topic: record.topic, partition: record.partition, offset: record.offset }, 'skipping unreadable record');
    return undefined;
  }
}

/** Decodes every record of a batch with `decodeRecord`, leaving out the invalid ones. */
export function decodeRecords<T>(spec: TopicSpec<T>, records: readonly DeliveredRecord[], logger: Logger): T[] {
  const decoded: T[] = [];
  for (const record of records) {
    const value = decodeRecord(spec, record, logger);
    if (value !== undefined) decoded.push(value);
  }
  return decoded;
}
