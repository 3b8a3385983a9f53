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
    const subscription = new KafkaSubscription(this.kafka, spec, this.options.logger);
    await subscription.start();
    this.consumers.add(subscription);
    return {
      close: async () => {
        this.consumers.delete(subscription);
        await subscription.close();
      },
    };
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

  constructor(
    kafka: Kafka,
    private readonly spec: SubscriptionSpec,
    private readonly logger: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId: spec.group,
      allowAutoTopicCreation: false,
      retry: { retries: 8, initialRetryTime: 300 },
    });
  }

  async start(): Promise<void> {
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
    await this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: true,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
    this.changeAssignment(new Set());
    await this.assignmentChange;
  }

  private async handleBatch({ batch, isRunning, isStale }: EachBatchPayload): Promise<void> {
    await this.assignmentChange;
    if (!isRunning() || isStale() || batch.messages.length === 0) return;

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
    await this.spec.handle(records);
  }

  private changeAssignment(next: Set<number>): void {
    const lost = [...this.assigned].filter((p) => !next.has(p));
    const gained = [...next].filter((p) => !this.assigned.has(p));
    this.assigned = next;

    this.assignmentChange = this.assignmentChange.then(async () => {
      try {
        if (lost.length > 0) await this.spec.onRevoked?.(lost);
        if (gained.length > 0) await this.spec.onAssigned?.(gained);
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
