import { type ChainableCommander, Redis } from 'ioredis';

/** A partition's checkpoint: the offset it covers and one JSON entry per key (an agent id, for the processor). */
export interface Checkpoint {
  /** Offset of the last record whose effects the entries include, as a decimal string. */
  offset: string;
  /** Processing time at which the checkpoint was written, ms since epoch. */
  savedAt: number;
  entries: Map<string, string>;
}

/**
 * Storage of the state a processor replica needs to take over a partition:
 * Redis in the distributed deployment, memory in the embedded one.
 * A save writes the changed entries and the offset together, so a reader
 * never sees entries of one offset with the offset of another.
 */
export interface CheckpointStore {
  /** Writes changed entries, deletes removed keys and moves the offset, atomically. */
  save(scope: string, partition: number, checkpoint: { offset: string; savedAt: number; changed: ReadonlyMap<string, string>; removed?: readonly string[] }): Promise<void>;
  /** Returns the partition's checkpoint, or undefined when none was saved. */
  load(scope: string, partition: number): Promise<Checkpoint | undefined>;
  close(): Promise<void>;
}

const OFFSET_FIELD = '@offset';
const SAVED_AT_FIELD = '@savedAt';

export class MemoryCheckpointStore implements CheckpointStore {
  private readonly partitions = new Map<string, Checkpoint>();

  async save(scope: string, partition: number, checkpoint: { offset: string; savedAt: number; changed: ReadonlyMap<string, string>; removed?: readonly string[] }): Promise<void> {
    const key = `${scope}:${partition}`;
    const current = this.partitions.get(key) ?? { offset: checkpoint.offset, savedAt: checkpoint.savedAt, entries: new Map<string, string>() };
    for (const [entry, value] of checkpoint.changed) current.entries.set(entry, value);
    for (const entry of checkpoint.removed ?? []) current.entries.delete(entry);
    current.offset = checkpoint.offset;
    current.savedAt = checkpoint.savedAt;
    this.partitions.set(key, current);
  }

  async load(scope: string, partition: number): Promise<Checkpoint | undefined> {
    const current = this.partitions.get(`${scope}:${partition}`);
    return current ? { offset: current.offset, savedAt: current.savedAt, entries: new Map(current.entries) } : undefined;
  }

  async close(): Promise<void> {}
}

/** Checkpoints in one Redis hash per partition: a field per entry, plus the offset and save time. */
export class RedisCheckpointStore implements CheckpointStore {
  private readonly redis: Redis;

  constructor(url: string, private readonly keyPrefix: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
  }

  async save(scope: string, partition: number, checkpoint: { offset: string; savedAt: number; changed: ReadonlyMap<string, string>; removed?: readonly string[] }): Promise<void> {
    const key = this.key(scope, partition);
    const transaction: ChainableCommander = this.redis.multi();
    if (checkpoint.changed.size > 0) transaction.hset(key, Object.fromEntries(checkpoint.changed));
    if (checkpoint.removed && checkpoint.removed.length > 0) transaction.hdel(key, ...checkpoint.removed);
    transaction.hset(key, OFFSET_FIELD, checkpoint.offset, SAVED_AT_FIELD, String(checkpoint.savedAt));
    const results = (await transaction.exec()) ?? [];
    const failure = results.find(([error]) => error);
    if (failure) throw failure[0];
  }

  async load(scope: string, partition: number): Promise<Checkpoint | undefined> {
    const hash = await this.redis.hgetall(this.key(scope, partition));
    const offset = hash[OFFSET_FIELD];
    if (offset === undefined) return undefined;
    const entries = new Map<string, string>();
    for (const [field, value] of Object.entries(hash)) {
      if (field !== OFFSET_FIELD && field !== SAVED_AT_FIELD) entries.set(field, value);
    }
    return { offset, savedAt: Number(hash[SAVED_AT_FIELD] ?? 0), entries };
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }

  private key(scope: string, partition: number): string {
    return `${this.keyPrefix}checkpoint:${scope}:${partition}`;
  }
}
