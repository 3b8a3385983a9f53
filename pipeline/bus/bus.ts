/**
 * The message bus between roles. Two adapters implement it: `MemoryBus`
 * (in-process, the embedded deployment) and `KafkaBus` (the distributed one).
 * One contract test suite runs against both.
 *
 * Contract:
 * - `publish` resolves only once the bus holds every record durably (Kafka:
 *   acknowledged by all in-sync replicas). When it cannot, it rejects with
 *   BusUnavailableError within the configured publish timeout, and the caller
 *   must treat the records as not accepted.
 * - Records with the same key land in the same partition and are handled in
 *   publish order.
 * - Delivery is at-least-once: a group's offset advances only after `handle`
 *   resolves, so a crash replays the records of the unfinished batch.
 * - `handle` is never called concurrently within one subscription.
 */
export interface Bus {
  /** Creates the configured topics when missing and connects. */
  start(): Promise<void>;

  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void>;

  subscribe(spec: SubscriptionSpec): Promise<Subscription>;

  /**
   * The first offset of each partition whose record was accepted at or after
   * `timestamp` (ms since epoch); the partition's end offset when none was.
   * A processor replays from there to rebuild its windows.
   */
  offsetsForTime(topic: string, timestamp: number): Promise<Map<number, string>>;

  /** Whether the bus can accept records right now; drives the gateway's /readyz. */
  isReachable(): Promise<boolean>;

  close(): Promise<void>;
}

export interface OutgoingRecord {
  /** Partitioning key: agent id on the metrics topic, fingerprint on alerts. */
  key: string;
  /** JSON text. */
  value: string;
}

export interface DeliveredRecord {
  topic: string;
  partition: number;
  /** Position in the partition; a decimal string, as Kafka offsets exceed 2^53. */
  offset: string;
  key: string;
  value: string;
  /** Time the bus accepted the record, milliseconds since the Unix epoch. */
  timestamp: number;
}

export interface SubscriptionSpec {
  topic: string;
  /** Consumer group: members of one group share the partitions; each group sees every record. */
  group: string;

  /** Handles records of one partition in offset order; its offsets commit after it resolves. */
  handle(records: readonly DeliveredRecord[]): Promise<void>;

  /**
   * Called with partitions this member gained, before any of their records
   * are handled. It may return where to start reading some of them (offset
   * per partition); the others start after the group's last commit.
   */
  onAssigned?(partitions: readonly number[]): Promise<PartitionStarts | void> | PartitionStarts | void;

  /** Called with partitions this member lost, after their last batch was handled and before another member reads them. */
  onRevoked?(partitions: readonly number[]): Promise<void> | void;
}

/** Offsets to start reading from, per partition, as decimal strings. */
export type PartitionStarts = ReadonlyMap<number, string>;

export interface Subscription {
  /** Stops consuming after the batch in progress and leaves the group. */
  close(): Promise<void>;

  /**
   * How far this member is behind its partitions, as last measured: the
   * records published and not handled yet, and the bus time of the newest
   * record handled (ms since epoch; 0 before the first).
   */
  lag(): SubscriptionLag;
}

export interface SubscriptionLag {
  records: number;
  lastHandledTimestamp: number;
}

export interface TopicConfig {
  name: string;
  partitions: number;
}

/** Raised when the bus cannot take records now; the caller should retry later. */
export class BusUnavailableError extends Error {
  constructor(
    message: string,
    /** Seconds after which a retry is worthwhile. */
    readonly retryAfterSeconds = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BusUnavailableError';
  }
}
