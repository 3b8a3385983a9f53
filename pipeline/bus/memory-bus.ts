import { systemClock, type Clock } from '../clock/index.js';
import { silentLogger, type Logger } from '../log/logger.js';
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
import { partitionForKey } from './partitioner.js';

export interface MemoryBusOptions {
  topics: readonly TopicConfig[];
  /** Maximum records a partition retains before publishers wait. */
  capacityPerPartition: number;
  /** How long `publish` waits for room before it rejects. */
  publishTimeoutMs: number;
  /** Maximum records in one `handle` call. */
  maxBatchSize?: number;
  clock?: Clock;
  logger?: Logger;
}

/**
 * An in-process bus for the embedded deployment: each topic partition is a
 * bounded log, each consumer group keeps its own offset per partition.
 *
 * A record leaves the log once every group that ever subscribed to its topic
 * has handled it, so a group that subscribes later starts at the oldest
 * record still retained, not at the first one ever published. A full partition makes publishers wait, then reject with
 * BusUnavailableError, which is the backpressure the gateway turns into 503.
 *
 * NOTE: records live in this process's memory. A graceful close drains
 * nothing, and a crash loses what consumers had not handled yet; the
 * distributed deployment (Kafka) is the one that survives process loss.
 */
export class MemoryBus implements Bus {
  private readonly topics = new Map<string, TopicLog>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly options: MemoryBusOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    for (const topic of options.topics) {
      this.topics.set(topic.name, new TopicLog(topic, options.capacityPerPartition));
    }
  }

  async start(): Promise<void> {}

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.closed) throw new BusUnavailableError('in-process bus is closed');
    const log = this.topicLog(topic);

    const perPartition = new Map<number, OutgoingRecord[]>();
    for (const record of records) {
      const partition = partitionForKey(record.key, log.partitions.length);
      const list = perPartition.get(partition) ?? [];
      list.push(record);
      perPartition.set(partition, list);
    }
    for (const [partition, list] of perPartition) {
      if (list.length > this.options.capacityPerPartition) {
        throw new RangeError(
          `cannot publish ${list.length} records to ${topic}[${partition}]: more than the partition capacity of ${this.options.capacityPerPartition}`,
        );
      }
    }

    // All partitions must have room before any record is appended, so a
    // rejected publish leaves nothing behind.
    const deadline = this.clock.now() + this.options.publishTimeoutMs;
    while (![...perPartition].every(([partition, list]) => log.partitions[partition]!.hasRoomFor(list.length))) {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0 || this.closed) {
        throw new BusUnavailableError(
          `in-process bus: topic ${topic} is full (${this.options.capacityPerPartition} records per partition) because consumers are behind`,
          Math.max(1, Math.ceil(this.options.publishTimeoutMs / 1_000)),
        );
      }
      await log.roomOrTimeout(this.clock, remaining);
    }

    const timestamp = this.clock.now();
    for (const [partition, list] of perPartition) {
      log.partitions[partition]!.append(list, timestamp);
    }
    log.notifyData();
  }

  async subscribe(spec: SubscriptionSpec): Promise<Subscription> {
    if (this.closed) throw new BusUnavailableError('in-process bus is closed');
    const log = this.topicLog(spec.topic);
    const group = log.group(spec.group);
    const member = new Member(spec, log, group, this.clock, this.logger, this.options.maxBatchSize ?? 500);

    await group.join(member);
    member.run();
    return { close: () => member.stop(), lag: () => member.lag() };
  }

  async offsetsForTime(topic: string, timestamp: number): Promise<Map<number, string>> {
    const offsets = new Map<number, string>();
    this.topicLog(topic).partitions.forEach((partition, index) => {
      const position = partition.records.findIndex((record) => record.timestamp >= timestamp);
      offsets.set(index, String(position === -1 ? partition.endOffset : partition.baseOffset + position));
    });
    return offsets;
  }

  async isReachable(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    const stops: Promise<void>[] = [];
    for (const log of this.topics.values()) {
      for (const group of log.groups.values()) {
        for (const member of group.members) stops.push(member.stop());
      }
      log.notifyRoom();
    }
    await Promise.all(stops);
  }

  /**
   * Waits until every group has handled every record, or the timeout
   * passes; returns whether the bus drained. A graceful stop calls this
   * after the gateway stopped accepting, so accepted batches get handled.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const pending = [...this.topics.keys()].reduce((sum, topic) => sum + this.retained(topic), 0);
      if (pending === 0) return true;
      if (this.clock.now() >= deadline) {
        this.logger.warn({ pending }, 'in-process bus did not drain before the timeout; unhandled records are lost');
        return false;
      }
      await this.clock.sleep(20);
    }
  }

  /** Records retained in a topic, summed over partitions; for tests and metrics. */
  retained(topic: string): number {
    return this.topicLog(topic).partitions.reduce((sum, partition) => sum + partition.records.length, 0);
  }

  private topicLog(topic: string): TopicLog {
    const log = this.topics.get(topic);
    if (!log) throw new Error(`unknown topic ${topic}; topics are declared when the bus is created`);
    return log;
  }
}

interface StoredRecord {
  key: string;
  value: string;
  timestamp: number;
}

class PartitionLog {
  /** records[i] has offset baseOffset + i. */
  records: StoredRecord[] = [];
  baseOffset = 0;

  constructor(private readonly capacity: number) {}

  get endOffset(): number {
    return this.baseOffset + this.records.length;
  }

  hasRoomFor(count: number): boolean {
    return this.records.length + count <= this.capacity;
  }

  append(list: readonly OutgoingRecord[], timestamp: number): void {
    for (const record of list) this.records.push({ key: record.key, value: record.value, timestamp });
  }

  read(fromOffset: number, max: number): StoredRecord[] {
    const start = Math.max(0, fromOffset - this.baseOffset);
    return this.records.slice(start, start + max);
  }

  /** Drops records below `offset`, which every group has handled. */
  trimBelow(offset: number): boolean {
    const count = Math.min(this.records.length, offset - this.baseOffset);
    if (count <= 0) return false;
    this.records.splice(0, count);
    this.baseOffset += count;
    return true;
  }
}

class TopicLog {
  readonly partitions: PartitionLog[];
  readonly groups = new Map<string, Group>();
  private roomWaiters: Array<() => void> = [];
  private dataWaiters: Array<() => void> = [];

  constructor(
    readonly config: TopicConfig,
    capacity: number,
  ) {
    this.partitions = Array.from({ length: config.partitions }, () => new PartitionLog(capacity));
  }

  group(name: string): Group {
    let group = this.groups.get(name);
    if (!group) {
      // A new group starts at the oldest retained record, like Kafka's
      // auto.offset.reset=earliest.
      group = new Group(name, this, this.partitions.map((partition) => partition.baseOffset));
      this.groups.set(name, group);
    }
    return group;
  }

  /** Trims each partition to the slowest group's offset and wakes waiting publishers. */
  trim(): void {
    let trimmed = false;
    for (let p = 0; p < this.partitions.length; p++) {
      let lowest = Number.POSITIVE_INFINITY;
      for (const group of this.groups.values()) lowest = Math.min(lowest, group.committed[p]!);
      if (Number.isFinite(lowest) && this.partitions[p]!.trimBelow(lowest)) trimmed = true;
    }
    if (trimmed) this.notifyRoom();
  }

  roomOrTimeout(clock: Clock, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = clock.setTimeout(done, timeoutMs);
      function done(): void {
        timer.cancel();
        resolve();
      }
      this.roomWaiters.push(done);
    });
  }

  nextData(): Promise<void> {
    return new Promise((resolve) => this.dataWaiters.push(resolve));
  }

  notifyRoom(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  notifyData(): void {
    const waiters = this.dataWaiters;
    this.dataWaiters = [];
    for (const wake of waiters) wake();
  }
}

class Group {
  readonly members: Member[] = [];
  /** Next offset to handle, per partition. */
  readonly committed: number[];
  private rebalancing: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly log: TopicLog,
    startOffsets: number[],
  ) {
    this.committed = startOffsets;
  }

  join(member: Member): Promise<void> {
    return this.rebalance(() => {
      this.members.push(member);
    });
  }

  leave(member: Member): Promise<void> {
    return this.rebalance(async () => {
      const index = this.members.indexOf(member);
      if (index >= 0) this.members.splice(index, 1);
      await member.reassign([]);
    });
  }

  commit(partition: number, nextOffset: number): void {
    this.committed[partition] = nextOffset;
    this.log.trim();
  }

  /** Moves a partition's position; records already trimmed cannot be read again. */
  seek(partition: number, offset: number): void {
    const log = this.log.partitions[partition]!;
    this.committed[partition] = Math.min(Math.max(offset, log.baseOffset), log.endOffset);
  }

  /** Records of a partition not handled yet. */
  pending(partition: number): number {
    return this.log.partitions[partition]!.endOffset - this.committed[partition]!;
  }

  /**
   * Changes membership once every member has finished its batch in
   * progress, then splits the partitions round-robin and tells each member
   * what it lost and gained. Rebalances run one at a time.
   */
  private rebalance(change: () => void | Promise<void>): Promise<void> {
    this.rebalancing = this.rebalancing.then(async () => {
      await Promise.all(this.members.map((member) => member.pause()));
      await change();

      const next = new Map<Member, number[]>(this.members.map((member) => [member, []]));
      for (let p = 0; p < this.log.partitions.length; p++) {
        if (this.members.length === 0) break;
        next.get(this.members[p % this.members.length]!)!.push(p);
      }
      for (const member of this.members) await member.reassign(next.get(member)!);
      for (const member of this.members) member.resume();
      this.log.notifyData();
    });
    return this.rebalancing;
  }
}

class Member {
  private assigned: number[] = [];
  private running = false;
  private stopped = false;
  private paused = false;
  private busy: Promise<void> = Promise.resolve();
  private loop: Promise<void> = Promise.resolve();
  private resumeWaiters: Array<() => void> = [];
  private cursor = 0;
  private lastHandledTimestamp = 0;
  private readonly stopping = new AbortController();

  constructor(
    private readonly spec: SubscriptionSpec,
    private readonly log: TopicLog,
    private readonly group: Group,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly maxBatchSize: number,
  ) {}

  run(): void {
    this.running = true;
    this.loop = this.consume();
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.loop;
    this.stopped = true;
    this.stopping.abort();
    this.log.notifyData();
    this.wakeResumeWaiters();
    await this.group.leave(this);
    await this.loop;
  }

  /** Resolves once the batch in progress, if any, has been handled; takes no new batch until resume(). */
  async pause(): Promise<void> {
    this.paused = true;
    await this.busy;
  }

  resume(): void {
    this.paused = false;
    this.wakeResumeWaiters();
  }

  async reassign(partitions: number[]): Promise<void> {
    const lost = this.assigned.filter((p) => !partitions.includes(p));
    const gained = partitions.filter((p) => !this.assigned.includes(p));
    if (lost.length > 0) await this.spec.onRevoked?.(lost);
    this.assigned = partitions;
    if (gained.length === 0) return;

    const starts = await this.spec.onAssigned?.(gained);
    for (const [partition, offset] of starts ?? []) {
      if (gained.includes(partition)) this.group.seek(partition, Number(offset));
    }
  }

  lag(): SubscriptionLag {
    let records = 0;
    for (const partition of this.assigned) records += this.group.pending(partition);
    return { records, lastHandledTimestamp: this.lastHandledTimestamp };
  }

  private async consume(): Promise<void> {
    let failures = 0;
    while (this.running && !this.stopped) {
      if (this.paused) {
        await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
        continue;
      }

      const partition = this.nextPartitionWithData();
      if (partition === undefined) {
        await this.log.nextData();
        continue;
      }

      const from = this.group.committed[partition]!;
      const stored = this.log.partitions[partition]!.read(from, this.maxBatchSize);
      const records: DeliveredRecord[] = stored.map((record, i) => ({
        topic: this.log.config.name,
        partition,
        offset: String(from + i),
        key: record.key,
        value: record.value,
        timestamp: record.timestamp,
      }));

      let release!: () => void;
      this.busy = new Promise<void>((resolve) => (release = resolve));
      try {
        await this.spec.handle(records);
        this.group.commit(partition, from + records.length);
        this.lastHandledTimestamp = records.at(-1)!.timestamp;
        failures = 0;
      } catch (error) {
        failures++;
        const delayMs = Math.min(5_000, 100 * 2 ** Math.min(failures, 6));
        this.logger.error(
          { err: error, topic: this.log.config.name, group: this.group.name, partition, offset: from, retryInMs: delayMs },
          'record handler failed; retrying the batch',
        );
        await this.clock.sleep(delayMs, this.stopping.signal).catch(() => undefined);
      } finally {
        release();
      }
    }
  }

  /** Picks partitions round-robin so that one busy partition cannot starve the rest. */
  private nextPartitionWithData(): number | undefined {
    for (let i = 0; i < this.assigned.length; i++) {
      const partition = this.assigned[(this.cursor + i) % this.assigned.length]!;
      if (this.group.committed[partition]! < this.log.partitions[partition]!.endOffset) {
        this.cursor = (this.cursor + i + 1) % this.assigned.length;
        return partition;
      }
    }
    return undefined;
  }

  private wakeResumeWaiters(): void {
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const wake of waiters) wake();
  }
}
