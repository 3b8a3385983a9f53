import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type Clock, systemClock } from '../clock/index.js';

/**
 * Keys already handled, such as the idempotency keys of delivered
 * notifications, so that a replay after a failover is recognised. In memory
 * in the embedded deployment; in Redis in the distributed one, where every
 * notifier replica shares it.
 *
 * ```ts
 * if (await dedupLog.claim(notification.idempotencyKey, 24 * 3_600_000)) {
 *   try {
 *     await deliver(notification);
 *   } catch (error) {
 *     await dedupLog.release(notification.idempotencyKey);
 *     throw error;
 *   }
 * }
 * ```
 */
export interface DedupLog {
  /**
   * Claims `key` for `ttlMs` milliseconds. Returns true when no unexpired
   * claim existed, so the caller now owns the key, and false for a duplicate.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;

  /**
   * Removes this instance's claim on `key`, so that the next claim succeeds.
   * Does nothing when the claim has expired or was made by another instance.
   */
  release(key: string): Promise<void>;

  close(): Promise<void>;
}

/** The dedup log of the embedded deployment; expiry follows the injected clock. */
export class MemoryDedupLog implements DedupLog {
  /** Expiry time of each claim (ms since epoch), in claim order. */
  private readonly claims = new Map<string, number>();

  constructor(private readonly clock: Clock = systemClock) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    const now = this.clock.now();
    this.dropExpiredHead(now);

    const expiresAt = this.claims.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    // Deleting first moves a renewed key to the end of the insertion order.
    this.claims.delete(key);
    this.claims.set(key, now + ttlMs);
    return true;
  }

  async release(key: string): Promise<void> {
    this.claims.delete(key);
  }

  async close(): Promise<void> {
    this.claims.clear();
  }

  /** Number of claims held, expired ones not yet dropped included. */
  get size(): number {
    return this.claims.size;
  }

  /**
   * Drops expired claims from the oldest end and stops at the first live one.
   * With one TTL for every key, as the notifier uses, claim order is expiry
   * order, so this drops every expired claim at O(1) amortised cost per claim.
   */
  private dropExpiredHead(now: number): void {
    for (const [key, expiresAt] of this.claims) {
      if (expiresAt > now) return;
      this.claims.delete(key);
    }
  }
}

/** Deletes KEYS[1] only when its value is still this instance's token (ARGV[1]). */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * The dedup log of the distributed deployment: one Redis key per claim, set
 * with SET NX PX, so that Redis expires it and concurrent replicas cannot
 * both win. The value is a token random to this instance, which `release`
 * checks before deleting, so a release after expiry never removes a claim
 * that another replica made since.
 */
export class RedisDedupLog implements DedupLog {
  private readonly redis: Redis;
  private readonly token = randomBytes(12).toString('hex');

  constructor(url: string, private readonly keyPrefix: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    const result = await this.redis.set(this.redisKey(key), this.token, 'PX', ttlMs, 'NX');
    return result === 'OK';
  }

  async release(key: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.redisKey(key), this.token);
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }

  private redisKey(key: string): string {
    return `${this.keyPrefix}dedup:${key}`;
  }
}

function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new RangeError(`dedup claim TTL must be a positive integer of milliseconds, found ${ttlMs}`);
}
