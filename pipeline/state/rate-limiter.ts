import { Redis } from 'ioredis';
import { type Clock, systemClock } from '../clock/index.js';

/** One limit to apply to a request: at most `limit` requests per `periodMs` for `key`. */
export interface RateLimit {
  /** Identifies what is counted, such as `ingest:agent:web-1`. */
  key: string;
  limit: number;
  periodMs: number;
}

/** The state of one limit after a request was counted or rejected. */
export interface RateLimitState {
  limit: number;
  periodMs: number;
  /** Requests that would still be allowed at once. */
  remaining: number;
  /** Milliseconds until the whole limit is available again. */
  resetMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Milliseconds until the request would be allowed, 0 when allowed. */
  retryAfterMs: number;
  /** One state per limit, in the order given. */
  states: RateLimitState[];
}

/**
 * Counts requests against limits with the generic cell rate algorithm (GCRA):
 * each key stores one theoretical arrival time, so a limit of L per period T
 * allows a burst of L and then one request every T/L. A request is counted
 * against all its limits or, when any of them is exhausted, against none.
 *
 * The embedded deployment counts in memory. The distributed one counts in
 * Redis, so that every gateway replica counts against the same limits.
 */
export interface RateLimiter {
  consume(limits: readonly RateLimit[]): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

interface Step {
  allowed: boolean;
  /** The stored arrival time, moved up to now. */
  tat: number;
  /** The arrival time after counting this request. */
  newTat: number;
  retryAfterMs: number;
}

/** Computes the GCRA step for one key. */
function step(storedTat: number | undefined, now: number, limit: RateLimit): Step {
  const emission = limit.periodMs / limit.limit;
  const tat = Math.max(storedTat ?? now, now);
  const newTat = tat + emission;
  const allowAt = newTat - limit.periodMs;
  return { allowed: allowAt <= now, tat, newTat, retryAfterMs: Math.max(0, allowAt - now) };
}

/** Computes the state of a limit whose arrival time is `tat`. */
function stateAt(tat: number, now: number, limit: RateLimit): RateLimitState {
  const emission = limit.periodMs / limit.limit;
  const remaining = Math.max(0, Math.floor((limit.periodMs - (tat - now)) / emission + 1e-9));
  return { limit: limit.limit, periodMs: limit.periodMs, remaining, resetMs: tat - now };
}

/** The rate limiter of the embedded deployment, which reads time from the injected clock. */
export class MemoryRateLimiter implements RateLimiter {
  /** Theoretical arrival time per key, in ms since the epoch. */
  private readonly tats = new Map<string, number>();
  private lastSweep = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  async consume(limits: readonly RateLimit[]): Promise<RateLimitDecision> {
    return this.consumeNow(limits);
  }

  /** Counts like `consume`, synchronously, for the fallback of RedisRateLimiter. */
  consumeNow(limits: readonly RateLimit[]): RateLimitDecision {
    const now = this.clock.now();
    this.sweep(now, limits);
    const steps = limits.map((limit) => step(this.tats.get(limit.key), now, limit));
    const allowed = steps.every((result) => result.allowed);
    if (allowed) steps.forEach((result, i) => this.tats.set(limits[i]!.key, result.newTat));
    return {
      allowed,
      retryAfterMs: Math.max(0, ...steps.map((result) => result.retryAfterMs)),
      states: steps.map((result, i) => stateAt(allowed ? result.newTat : result.tat, now, limits[i]!)),
    };
  }

  async close(): Promise<void> {
    this.tats.clear();
  }

  /** Number of keys stored. A key whose arrival time has passed is dropped by the next sweep. */
  get size(): number {
    return this.tats.size;
  }

  /**
   * Drops keys whose arrival time has passed, so memory follows the active
   * keys. Does nothing when the last sweep ran within the max period of this
   * call's `limits` (at least 1 s).
   */
  private sweep(now: number, limits: readonly RateLimit[]): void {
    const period = Math.max(1_000, ...limits.map((limit) => limit.periodMs));
    if (now - this.lastSweep < period) return;
    this.lastSweep = now;
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
  }
}

/**
 * GCRA over several keys at once, with Redis's clock so that replicas with
 * skewed clocks agree. KEYS are the counted keys, and ARGV contains one
 * (period ms, limit) pair per key. Nothing is written unless every key
 * allows the request. Returns the allowed flag, the wait in microseconds,
 * then (remaining, reset in microseconds) per key, as integers, because
 * Redis truncates Lua numbers to integers.
 */
const GCRA_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local allowed = 1
local wait = 0
local tats = {}
local new_tats = {}
for i = 1, #KEYS do
  local period = tonumber(ARGV[2 * i - 1])
  local emission = period / tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  tats[i] = tat
  new_tats[i] = tat + emission
  local allow_at = new_tats[i] - period
  if allow_at > now then
    allowed = 0
    if allow_at - now > wait then wait = allow_at - now end
  end
end
local reply = { allowed, math.ceil(wait * 1000) }
for i = 1, #KEYS do
  local period = tonumber(ARGV[2 * i - 1])
  local emission = period / tonumber(ARGV[2 * i])
  local tat = tats[i]
  if allowed == 1 then
    tat = new_tats[i]
    redis.call('SET', KEYS[i], string.format('%.3f', tat), 'PX', math.ceil(tat - now))
  end
  local remaining = math.floor((period - (tat - now)) / emission + 1e-9)
  if remaining < 0 then remaining = 0 end
  reply[#reply + 1] = remaining
  reply[#reply + 1] = math.floor((tat - now) * 1000)
end
return reply
`;

interface GcraCommands {
  fleetpulseGcra(numberOfKeys: number, ...args: Array<string | number>): Promise<number[]>;
}

/**
 * The rate limiter of the distributed deployment: one Lua script call per
 * request, shared by every gateway replica.
 *
 * While Redis does not respond, requests are counted in memory by this
 * replica alone, so limits still hold per replica instead of being lifted.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis & GcraCommands;
  private readonly fallback: MemoryRateLimiter;

  constructor(
    url: string,
    private readonly keyPrefix: string,
    private readonly onFallback: (error: unknown) => void = () => undefined,
    clock: Clock = systemClock,
  ) {
    // A request waits at most 500 ms for Redis before it is counted in memory.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 500 }) as Redis & GcraCommands;
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('fleetpulseGcra', { lua: GCRA_SCRIPT });
    this.fallback = new MemoryRateLimiter(clock);
  }

  async consume(limits: readonly RateLimit[]): Promise<RateLimitDecision> {
    if (limits.length === 0) return { allowed: true, retryAfterMs: 0, states: [] };
    const keys = limits.map((limit) => `${this.keyPrefix}ratelimit:${limit.key}`);
    const args = limits.flatMap((limit) => [limit.periodMs, limit.limit]);

    let reply: number[];
    try {
      reply = await this.redis.fleetpulseGcra(keys.length, ...keys, ...args);
    } catch (error) {
      this.onFallback(error);
      return this.fallback.consumeNow(limits);
    }

    return {
      allowed: reply[0] === 1,
      retryAfterMs: reply[1]! / 1_000,
      states: limits.map((limit, i) => ({
        limit: limit.limit,
        periodMs: limit.periodMs,
        remaining: Math.max(0, reply[2 + 2 * i]!),
        resetMs: Math.max(0, reply[3 + 2 * i]! / 1_000),
      })),
    };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
