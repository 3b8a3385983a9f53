import { randomBytes } from 'node:crypto';
import { type ChainableCommander, Redis } from 'ioredis';
import { type Clock, systemClock } from '../clock/index.js';

/** A group as stored: its metadata and one entry per alert fingerprint, each as JSON text the router owns. */
export interface StoredGroup {
  meta?: string;
  entries: Map<string, string>;
}

export interface GroupChange {
  meta: string;
  changed: ReadonlyMap<string, string>;
  removed: readonly string[];
  /** When the router should next look at the group, ms since epoch. */
  dueAt: number;
}

/**
 * The alert router's state, which must survive a router restart so that
 * nothing is notified twice: alert groups with their timers and
 * last-notified times, per-fingerprint flapping history, and the firing
 * alerts that can inhibit others. The distributed deployment keeps it in
 * Redis, where every router replica shares it, and the embedded one in memory.
 *
 * Values are JSON text that the router reads and writes, and this store does
 * not parse them. A group is changed only inside `withGroupLock`, so replicas
 * that receive alerts of one group on different partitions, or flush it from
 * their timers, do not overwrite each other's changes. That holds while the
 * locked work finishes within the lock's TTL (`lockTtlMs` in Redis).
 */
export interface RouterStateStore {
  /** Runs `work` while holding the group's lock, which is exclusive across replicas and released when `work` settles. */
  withGroupLock<R>(groupId: string, work: () => Promise<R>): Promise<R>;
  /** Reads the group's metadata and the entries of `fingerprints`, or every entry when `fingerprints` is undefined. */
  readGroup(groupId: string, fingerprints?: readonly string[]): Promise<StoredGroup>;
  /** Writes the metadata and changed entries, deletes removed entries and sets the due time, in one transaction. */
  writeGroup(groupId: string, change: GroupChange): Promise<void>;
  deleteGroup(groupId: string): Promise<void>;
  /** Returns the ids of groups due at or before `now`, earliest first, at most `limit`. */
  dueGroups(now: number, limit: number): Promise<string[]>;

  /** Reads per-fingerprint records, such as flapping history. A fingerprint without a record is absent from the map. */
  readAlerts(fingerprints: readonly string[]): Promise<Map<string, string>>;
  /** Writes per-fingerprint records that expire `ttlMs` after this write. */
  writeAlerts(records: ReadonlyMap<string, string>, ttlMs: number): Promise<void>;

  /** Records a firing alert that may inhibit others, or removes it with `undefined`. */
  setSource(fingerprint: string, value: string | undefined): Promise<void>;
  listSources(): Promise<Map<string, string>>;

  close(): Promise<void>;
}

/** The router state of the embedded deployment. Record expiry follows the injected clock. */
export class MemoryRouterState implements RouterStateStore {
  private readonly groups = new Map<string, { meta?: string; entries: Map<string, string> }>();
  private readonly due = new Map<string, number>();
  private readonly alerts = new Map<string, { value: string; expiresAt: number }>();
  private readonly sources = new Map<string, string>();
  /** The tail of each group's chain of locked work. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly clock: Clock = systemClock) {}

  withGroupLock<R>(groupId: string, work: () => Promise<R>): Promise<R> {
    const previous = this.locks.get(groupId) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.locks.set(groupId, tail);
    void tail.then(() => {
      if (this.locks.get(groupId) === tail) this.locks.delete(groupId);
    });
    return result;
  }

  async readGroup(groupId: string, fingerprints?: readonly string[]): Promise<StoredGroup> {
    const group = this.groups.get(groupId);
    if (!group) return { entries: new Map() };
    if (!fingerprints) return { meta: group.meta, entries: new Map(group.entries) };
    const entries = new Map<string, string>();
    for (const fingerprint of fingerprints) {
      const entry = group.entries.get(fingerprint);
      if (entry !== undefined) entries.set(fingerprint, entry);
    }
    return { meta: group.meta, entries };
  }

  async writeGroup(groupId: string, change: GroupChange): Promise<void> {
    let group = this.groups.get(groupId);
    if (!group) this.groups.set(groupId, (group = { entries: new Map() }));
    group.meta = change.meta;
    for (const [fingerprint, entry] of change.changed) group.entries.set(fingerprint, entry);
    for (const fingerprint of change.removed) group.entries.delete(fingerprint);
    this.due.set(groupId, change.dueAt);
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.groups.delete(groupId);
    this.due.delete(groupId);
  }

  async dueGroups(now: number, limit: number): Promise<string[]> {
    return [...this.due]
      .filter(([, dueAt]) => dueAt <= now)
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([groupId]) => groupId);
  }

  async readAlerts(fingerprints: readonly string[]): Promise<Map<string, string>> {
    const now = this.clock.now();
    const found = new Map<string, string>();
    for (const fingerprint of fingerprints) {
      const record = this.alerts.get(fingerprint);
      if (!record) continue;
      if (record.expiresAt <= now) this.alerts.delete(fingerprint);
      else found.set(fingerprint, record.value);
    }
    return found;
  }

  async writeAlerts(records: ReadonlyMap<string, string>, ttlMs: number): Promise<void> {
    const expiresAt = this.clock.now() + ttlMs;
    for (const [fingerprint, value] of records) this.alerts.set(fingerprint, { value, expiresAt });
  }

  async setSource(fingerprint: string, value: string | undefined): Promise<void> {
    if (value === undefined) this.sources.delete(fingerprint);
    else this.sources.set(fingerprint, value);
  }

  async listSources(): Promise<Map<string, string>> {
    return new Map(this.sources);
  }

  async close(): Promise<void> {}
}

const META_FIELD = '@meta';

/** Deletes KEYS[1] only when its value is still this holder's token (ARGV[1]). */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

export interface RedisRouterStateOptions {
  /** Prepended to every key, such as `fleetpulse:router:`. */
  keyPrefix: string;
  clock?: Clock;
  /** Max time a lock is held before it expires, so that a dead holder's lock frees. 10 s unless given. */
  lockTtlMs?: number;
  /** Max time `withGroupLock` waits for a lock before it rejects. 30 s unless given. */
  lockWaitMs?: number;
}

/**
 * The router state of the distributed deployment. Keys, after the prefix:
 * - `group:<id>`: a hash with the field `@meta` and one field per fingerprint
 * - `due`: a sorted set of group ids scored by due time
 * - `lock:<id>`: a group's lock, a random token set with NX and an expiry
 * - `alert:<fingerprint>`: a string that expires
 * - `sources`: a hash of firing inhibition sources by fingerprint
 */
export class RedisRouterState implements RouterStateStore {
  private readonly redis: Redis;
  private readonly clock: Clock;
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;

  constructor(url: string, private readonly options: RedisRouterStateOptions) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
    this.clock = options.clock ?? systemClock;
    this.lockTtlMs = options.lockTtlMs ?? 10_000;
    this.lockWaitMs = options.lockWaitMs ?? 30_000;
  }

  async withGroupLock<R>(groupId: string, work: () => Promise<R>): Promise<R> {
    const lockKey = this.key(`lock:${groupId}`);
    const token = randomBytes(12).toString('hex');
    const deadline = this.clock.now() + this.lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      if ((await this.redis.set(lockKey, token, 'PX', this.lockTtlMs, 'NX')) === 'OK') break;
      if (this.clock.now() >= deadline) throw new Error(`timed out after ${this.lockWaitMs} ms waiting for the router lock of group ${groupId}`);
      // Another replica usually holds the lock only for one read and one write, so retry soon, backing off to 50 ms.
      await this.clock.sleep(Math.min(5 * 2 ** Math.min(attempt, 4), 50));
    }
    try {
      return await work();
    } finally {
      await this.redis.eval(RELEASE_SCRIPT, 1, lockKey, token);
    }
  }

  async readGroup(groupId: string, fingerprints?: readonly string[]): Promise<StoredGroup> {
    const key = this.key(`group:${groupId}`);
    if (!fingerprints) {
      const all = await this.redis.hgetall(key);
      const { [META_FIELD]: meta, ...entries } = all;
      return { meta, entries: new Map(Object.entries(entries)) };
    }
    const values = await this.redis.hmget(key, META_FIELD, ...fingerprints);
    const entries = new Map<string, string>();
    fingerprints.forEach((fingerprint, i) => {
      const value = values[i + 1];
      if (value !== null && value !== undefined) entries.set(fingerprint, value);
    });
    return { meta: values[0] ?? undefined, entries };
  }

  async writeGroup(groupId: string, change: GroupChange): Promise<void> {
    const key = this.key(`group:${groupId}`);
    const transaction: ChainableCommander = this.redis.multi();
    transaction.hset(key, META_FIELD, change.meta);
    if (change.changed.size > 0) transaction.hset(key, Object.fromEntries(change.changed));
    if (change.removed.length > 0) transaction.hdel(key, ...change.removed);
    transaction.zadd(this.key('due'), change.dueAt, groupId);
    await execOrThrow(transaction);
  }

  async deleteGroup(groupId: string): Promise<void> {
    await execOrThrow(this.redis.multi().del(this.key(`group:${groupId}`)).zrem(this.key('due'), groupId));
  }

  dueGroups(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.key('due'), '-inf', now, 'LIMIT', 0, limit);
  }

  async readAlerts(fingerprints: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (fingerprints.length === 0) return found;
    const values = await this.redis.mget(...fingerprints.map((fingerprint) => this.key(`alert:${fingerprint}`)));
    fingerprints.forEach((fingerprint, i) => {
      const value = values[i];
      if (value !== null && value !== undefined) found.set(fingerprint, value);
    });
    return found;
  }

  async writeAlerts(records: ReadonlyMap<string, string>, ttlMs: number): Promise<void> {
    if (records.size === 0) return;
    const transaction = this.redis.multi();
    for (const [fingerprint, value] of records) transaction.set(this.key(`alert:${fingerprint}`), value, 'PX', ttlMs);
    await execOrThrow(transaction);
  }

  async setSource(fingerprint: string, value: string | undefined): Promise<void> {
    if (value === undefined) await this.redis.hdel(this.key('sources'), fingerprint);
    else await this.redis.hset(this.key('sources'), fingerprint, value);
  }

  async listSources(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.key('sources'))));
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }

  private key(suffix: string): string {
    return `${this.options.keyPrefix}${suffix}`;
  }
}

async function execOrThrow(transaction: ChainableCommander): Promise<void> {
  const results = (await transaction.exec()) ?? [];
  const failure = results.find(([error]) => error);
  if (failure) throw failure[0];
}
