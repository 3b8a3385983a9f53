import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  Kafka,
  logLevel,
  type LogEntry,
  Partitioners,
  type Producer,
} from 'kafkajs';
import type { Logger } from '../log/logger.js';
import {
  type Bus,
  BusUnavailableError,
  type DeliveredRecord,
  type OutgoingRecord,
  type Subscription,
  type SubscriptionLag,
  type SubscriptionSpec,
  type TopicConfig,
} from './bus.js';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  topics: readonly TopicConfig[];
  replicationFactor: number;
  /** How long `publish` may take, retries included, before it rejects. */
  publishTimeoutMs: number;
  /** How long the group waits for a silent consumer before giving its partitions to another; kafkajs's default is 30 s. */
  sessionTimeoutMs?: number;
  logger: Logger;
}

/** How long a readiness answer is reused, so /readyz probes do not each hit the brokers. */
const REACHABILITY_CACHE_MS = 1_000;

/**
 * The distributed bus on Apache Kafka through kafkajs. Producers wait for
 * acks from all in-sync replicas; consumers commit a batch's offsets only
 * after `handle` resolves.
 */
export class KafkaBus implements Bus {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly consumers = new Set<KafkaSubscription>();
  private producerConnected = false;
  private reachability: { at: number; value: Promise<boolean> } | undefined;

  constructor(private readonly options: KafkaBusOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: 2_000,
      requestTimeout: Math.max(5_000, options.publishTimeoutMs),
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(options.logger),
    });
    this.admin = this.kafka.admin({ retry: { retries: 2, initialRetryTime: 200 } });
    this.producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      // Few quick retries: a publish that cannot finish inside the publish
      // timeout is reported to the caller, who keeps the records.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: options.publishTimeoutMs },
    });
  }

  async start(): Promise<void> {
    await this.admin.connect();
    const existing = new Set(await this.admin.listTopics());
    const missing = this.options.topics.filter((topic) => !existing.has(topic.name));
    if (missing.length > 0) {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic: topic.name,
          numPartitions: topic.partitions,
          replicationFactor: this.options.replicationFactor,
        })),
      });
      this.options.logger.info({ topics: missing.map((topic) => topic.name) }, 'created Kafka topics');
    }
    await this.connectProducer();
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BusUnavailableError(`Kafka did not acknowledge within ${this.options.publishTimeoutMs} ms`, 2)),
        this.options.publishTimeoutMs,
      );
    });

    try {
      await Promise.race([this.send(topic, records), timeout]);
    } catch (error) {
      if (error instanceof BusUnavailableError) throw error;
      throw new BusUnavailableError(`Kafka rejected the publish to ${topic}: ${(error as Error).message}`, 2, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async subscribe(spec: SubscriptionSpec): Promise<Subscription> {
    const subscription = new KafkaSubscription(this.kafka, spec, this.options.sessionTimeoutMs ?? 30_000, this.options.logger);
    await subscription.start();
    this.consumers.add(subscription);
    return {
      close: async () => {
        this.consumers.delete(subscription);
        await subscription.close();
      },
      lag: () => subscription.lag(),
    };
  }

  async offsetsForTime(topic: string, timestamp: number): Promise<Map<number, string>> {
    await this.admin.connect();
    const offsets = await this.admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
    return new Map(offsets.map(({ partition, offset }) => [partition, offset]));
  }

  isReachable(): Promise<boolean> {
    const now = Date.now();
    if (this.reachability && now - this.reachability.at < REACHABILITY_CACHE_MS) return this.reachability.value;

    const value = withTimeout(this.admin.describeCluster(), 2_000).then(
      (cluster) => cluster.brokers.length > 0,
      () => false,
    );
    this.reachability = { at: now, value };
    return value;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
    this.consumers.clear();
    await this.producer.disconnect();
    await this.admin.disconnect();
  }

  private async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    await this.connectProducer();
    await this.producer.send({
      topic,
      acks: -1,
      timeout: this.options.publishTimeoutMs,
      messages: records.map((record) => ({ key: record.key, value: record.value })),
    });
  }

  private async connectProducer(): Promise<void> {
    if (this.producerConnected) return;
    await this.producer.connect();
    this.producerConnected = true;
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.producerConnected = false;
    });
  }
}

class KafkaSubscription {
  private readonly consumer: Consumer;
  private assigned = new Set<number>();
  /** Assignment callbacks, chained so that they run in order and before the batches they precede. */
  private assignmentChange: Promise<void> = Promise.resolve();
  /** The batch being handled; assignment callbacks wait for it. */
  private inFlight: Promise<void> = Promise.resolve();
  /** Records not handled yet per partition, as of the partition's last batch. */
  private readonly partitionLag = new Map<number, number>();
  private lastHandledTimestamp = 0;

  constructor(
    kafka: Kafka,
    private readonly spec: SubscriptionSpec,
    sessionTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId: spec.group,
      allowAutoTopicCreation: false,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeoutMs / 10)),
      retry: { retries: 8, initialRetryTime: 300 },
    });
  }

  async start(): Promise<void> {
    // kafkajs rebalances eagerly: a member gives up all its partitions when a
    // rebalance starts and learns its new ones when it has rejoined.
    this.consumer.on(this.consumer.events.REBALANCING, () => this.changeAssignment(new Set()));
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      const partitions = event.payload.memberAssignment[this.spec.topic] ?? [];
      this.changeAssignment(new Set(partitions));
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.logger.error(
        { err: event.payload.error, topic: this.spec.topic, group: this.spec.group, restart: event.payload.restart },
        'Kafka consumer crashed',
      );
      this.changeAssignment(new Set());
    });

    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.spec.topic, fromBeginning: true });
    // Offsets are resolved by hand, only after `handle` succeeded, so that a
    // batch skipped during a rebalance is never committed.
    await this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
    this.changeAssignment(new Set());
    await this.assignmentChange;
  }

  lag(): SubscriptionLag {
    let records = 0;
    for (const partition of this.assigned) records += this.partitionLag.get(partition) ?? 0;
    return { records, lastHandledTimestamp: this.lastHandledTimestamp };
  }

  private async handleBatch({ batch, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    await this.assignmentChange;
    // A stale batch was fetched before a seek; its records come again from the new position.
    if (!isRunning() || isStale() || batch.messages.length === 0 || !this.assigned.has(batch.partition)) return;

    const records: DeliveredRecord[] = batch.messages.map((message) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: message.offset,
      key: message.key?.toString() ?? '',
      value: message.value?.toString() ?? '',
      timestamp: Number(message.timestamp),
    }));

    // A throw leaves the offsets unresolved: kafkajs retries the batch, then
    // restarts the consumer, which fetches it again.
    const handling = this.spec.handle(records);
    this.inFlight = handling.then(
      () => undefined,
      () => undefined,
    );
    await handling;
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();

    this.partitionLag.set(batch.partition, Number(batch.offsetLag()));
    this.lastHandledTimestamp = records.at(-1)!.timestamp;
  }

  private changeAssignment(next: Set<number>): void {
    const lost = [...this.assigned].filter((p) => !next.has(p));
    const gained = [...next].filter((p) => !this.assigned.has(p));
    this.assigned = next;
    if (lost.length === 0 && gained.length === 0) return;

    this.assignmentChange = this.assignmentChange.then(async () => {
      await this.inFlight;
      try {
        if (lost.length > 0) await this.spec.onRevoked?.(lost);
        if (gained.length === 0) return;
        const starts = await this.spec.onAssigned?.(gained);
        for (const [partition, offset] of starts ?? []) {
          if (gained.includes(partition)) this.consumer.seek({ topic: this.spec.topic, partition, offset });
        }
      } catch (error) {
        this.logger.error({ err: error, topic: this.spec.topic, group: this.spec.group, lost, gained }, 'partition assignment callback failed');
      }
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Routes kafkajs's own log lines into the role's pino logger. */
function kafkaLogCreator(logger: Logger) {
  const child = logger.child({ module: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry): void => {
      const { message, ...fields } = log;
      if (level <= logLevel.ERROR) child.error(fields, message);
      else if (level === logLevel.WARN) child.warn(fields, message);
      else if (level === logLevel.INFO) child.info(fields, message);
      else child.debug(fields, message);
    };
}
