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

  /** Called with partitions this member gained, before any of their records are handled. */
  onAssigned?(partitions: readonly number[]): Promise<void> | void;

  /** Called with partitions this member lost, after their last batch was handled. */
  onRevoked?(partitions: readonly number[]): Promise<void> | void;
}

export interface Subscription {
  /** Stops consuming after the batch in progress and leaves the group. */
  close(): Promise<void>;
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
