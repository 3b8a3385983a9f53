import { z } from 'zod';
import type { Clock } from '../pipeline/clock/index.js';
import { formatDuration } from '../pipeline/config/duration.js';
import { duration } from '../pipeline/config/fields.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { Notification } from '../pipeline/messages/notification.js';
import type { DedupLog } from '../pipeline/state/dedup-log.js';
import type { DeliveryOutcome, DeliveryRecord, Store } from '../pipeline/store/store.js';
import { type Channel, DeliveryError } from './channels/channel.js';
import { receiversSchema } from './channels/registry.js';
import { type RateLimitConfig, SlidingWindowLimiter } from './rate-limit.js';
import { fullJitterDelayMs } from './retry.js';

/**
 * ```yaml
 * notifier:
 *   dedup_ttl: 24h
 *   retry: { max_attempts: 5, initial_backoff: 500ms, max_backoff: 30s, max_retry_after: 5m }
 *   receivers:
 *     - { name: oncall, type: webhook, url: { env: ONCALL_WEBHOOK_URL }, rate_limit: { max: 30, per: 1m } }
 * ```
 */
export const notifierConfigSchema = z
  .strictObject({
    /** How long a delivered idempotency key is remembered; a replay older than this is delivered again. */
    dedup_ttl: duration({ min: 1_000 }).prefault('24h'),
    retry: z
      .strictObject({
        /** Attempts per notification, the first included. */
        max_attempts: z.number().int().min(1).max(50).default(5),
        /** Ceiling of the first backoff; it doubles per retry, and the wait is uniform below it. */
        initial_backoff: duration({ min: 1 }).prefault('500ms'),
        max_backoff: duration({ min: 1 }).prefault('30s'),
        /** Longest Retry-After that is honoured; a receiver asking for more fails the delivery at once. */
        max_retry_after: duration({ min: 0 }).prefault('5m'),
      })
      .prefault({}),
    receivers: receiversSchema,
  })
  .prefault({});

export type NotifierConfig = z.output<typeof notifierConfigSchema>;

export interface NotifierOptions {
  /** Channel of each receiver, by receiver name. */
  channels: ReadonlyMap<string, Channel>;
  store: Pick<Store, 'writeDeliveries'>;
  dedupLog: DedupLog;
  clock: Clock;
  logger: Logger;
  /** `receivers` is read for each receiver's rate_limit only; channels come from `channels`. */
  config: Pick<NotifierConfig, 'dedup_ttl' | 'retry'> & { receivers?: ReadonlyArray<{ name: string; rate_limit?: RateLimitConfig | undefined }> };
  /** Source of jitter in [0, 1); Math.random unless given. */
  random?: () => number;
}

/** Outcome of one notification: a stored DeliveryOutcome, or `duplicate`, which is not stored. */
export type NotifyOutcome = DeliveryOutcome | 'duplicate';

/** Outcome of delivering one notification, with the fields its DeliveryRecord stores. */
export interface DeliveryResult {
  outcome: NotifyOutcome;
  /** Channel type, `unknown` for an unknown receiver; absent for a duplicate. */
  channel?: string;
  /** Attempts made; 0 for a duplicate, an unknown receiver or a rate-limited notification. */
  attempts: number;
  /** Reason it was not delivered; absent when delivered or a duplicate. */
  error?: string;
  /** Notifier time at which the outcome was known (ms since epoch), the record's `ts`. */
  at: number;
}

/**
 * Delivers notifications to their receivers' channels and skips an
 * idempotency key that was delivered before, for as long as the dedup log
 * keeps the key.
 *
 * Stages, in order:
 * 1. Claim the key in the dedup log. A duplicate stops here.
 * 2. Take a slot of the receiver's rate limit, waiting up to its max_wait
 *    for one to free. Without a slot the outcome is `rate_limited`.
 * 3. Attempt delivery. Retryable failures are retried with exponential
 *    backoff and full jitter, waiting at least as long as a Retry-After header requests.
 * 4. Record a DeliveryRecord through the store. When delivery finally fails
 *    or is rate limited, the claim is released first, so that a redelivery
 *    tries again.
 *
 * The caller decides what happens to a notification that was not delivered;
 * the sink role publishes it to the dead-letters topic.
 *
 * NOTE: rate limits are counted in this process. That is exact while one
 * notifier consumes a receiver's partition, which the bus ensures outside a
 * rebalance, because notifications are keyed by receiver.
 *
 * NOTE: a crash between a successful delivery and the end of `deliver` leaves
 * the key claimed, so the redelivered notification counts as a duplicate and
 * its DeliveryRecord is never written. A crash during the attempts leaves the
 * key claimed until dedup_ttl passes, which drops that notification.
 *
 * ```ts
 * const notifier = new Notifier({ channels, store, dedupLog, clock: systemClock, logger, config });
 * const outcome = await notifier.deliver(notification);
 * ```
 */
export class Notifier {
  private readonly random: () => number;
  /** Rate limit of each receiver that has one, by receiver name. */
  private readonly limits = new Map<string, { config: RateLimitConfig; limiter: SlidingWindowLimiter }>();

  constructor(private readonly options: NotifierOptions) {
    this.random = options.random ?? Math.random;
    for (const receiver of options.config.receivers ?? []) {
      if (receiver.rate_limit) {
        this.limits.set(receiver.name, { config: receiver.rate_limit, limiter: new SlidingWindowLimiter(receiver.rate_limit.max, receiver.rate_limit.per) });
      }
    }
  }

  /**
   * Delivers one notification and resolves with its outcome once the
   * delivery record is written. Rejects when the dedup log or the store fails.
   * Also rejects when `signal` aborts a wait, after releasing the claim.
   */
  async deliver(notification: Notification, signal?: AbortSignal): Promise<NotifyOutcome> {
    return (await this.deliverWithResult(notification, signal)).outcome;
  }

  /** Same as `deliver`, and also returns the attempts and the error that the delivery record stores. */
  async deliverWithResult(notification: Notification, signal?: AbortSignal): Promise<DeliveryResult> {
    const { dedupLog, logger } = this.options;
    const key = notification.idempotencyKey;
    const log = logger.child({ idempotencyKey: key, receiver: notification.receiver, fingerprint: notification.alert.fingerprint });

    if (!(await dedupLog.claim(key, this.options.config.dedup_ttl))) {
      log.debug('notification already delivered; skipped as a duplicate');
      return { outcome: 'duplicate', attempts: 0, at: this.options.clock.now() };
    }

    const channel = this.options.channels.get(notification.receiver);
    if (!channel) {
      await dedupLog.release(key);
      const error = `unknown receiver ${notification.receiver}; add it to notifier.receivers`;
      log.error(error);
      return this.record(notification, { outcome: 'failed', channel: 'unknown', attempts: 0, error });
    }

    let result: AttemptsResult;
    try {
      const rateLimited = await this.takeSlot(notification.receiver, log, signal);
      if (rateLimited !== undefined) {
        await dedupLog.release(key);
        log.warn({ channel: channel.type, error: rateLimited }, 'notification rate limited');
        return this.record(notification, { outcome: 'rate_limited', channel: channel.type, attempts: 0, error: rateLimited });
      }
      result = await this.attempt(channel, notification, log, signal);
    } catch (error) {
      await dedupLog.release(key);
      throw error;
    }

    if (result.error === undefined) {
      log.info({ channel: channel.type, attempts: result.attempts }, 'notification delivered');
      return this.record(notification, { outcome: 'delivered', channel: channel.type, attempts: result.attempts });
    }

    await dedupLog.release(key);
    log.error({ channel: channel.type, attempts: result.attempts, error: result.error }, 'notification delivery failed');
    return this.record(notification, { outcome: 'failed', channel: channel.type, attempts: result.attempts, error: result.error });
  }

  /**
   * Takes a slot of the receiver's rate limit, sleeping until one frees as
   * long as the total wait stays within max_wait. Returns undefined once a
   * slot is taken (or the receiver has no limit), else the reason it is
   * rate limited.
   */
  private async takeSlot(receiver: string, log: Logger, signal?: AbortSignal): Promise<string | undefined> {
    const limit = this.limits.get(receiver);
    if (!limit) return undefined;

    const { clock } = this.options;
    const deadline = clock.now() + limit.config.max_wait;
    for (;;) {
      const now = clock.now();
      const waitMs = limit.limiter.waitMs(now);
      if (waitMs === 0) {
        limit.limiter.take(now);
        return undefined;
      }
      if (now + waitMs > deadline) {
        return (
          `rate limited: receiver ${receiver} allows ${limit.config.max} notifications per ${formatDuration(limit.config.per)}, ` +
          `and the next slot frees in ${waitMs} ms, later than max_wait ${formatDuration(limit.config.max_wait)}`
        );
      }
      log.info({ delayMs: waitMs }, 'receiver rate limit reached, waiting for a free slot');
      await clock.sleep(waitMs, signal);
    }
  }

  /** Calls the channel until it succeeds, fails for good, or attempts run out. */
  private async attempt(channel: Channel, notification: Notification, log: Logger, signal?: AbortSignal): Promise<AttemptsResult> {
    const retry = this.options.config.retry;

    for (let attempt = 1; ; attempt++) {
      try {
        await channel.deliver(notification);
        return { attempts: attempt };
      } catch (error) {
        const failure = error instanceof DeliveryError ? error : undefined;
        const message = (error as Error)?.message ?? String(error);

        if (!failure) {
          // A channel that throws anything else has a bug; retrying would repeat it.
          return { attempts: attempt, error: `channel ${channel.type} failed unexpectedly: ${message}` };
        }
        if (!failure.retryable) return { attempts: attempt, error: message };
        if (attempt >= retry.max_attempts) return { attempts: attempt, error: `${message} (gave up after ${attempt} attempts)` };

        const retryAfterMs = failure.retryAfterMs ?? 0;
        if (retryAfterMs > retry.max_retry_after) {
          return { attempts: attempt, error: `${message} (the receiver asked to retry after ${retryAfterMs} ms, more than max_retry_after ${retry.max_retry_after} ms)` };
        }

        const backoffMs = fullJitterDelayMs({ initialDelayMs: retry.initial_backoff, maxDelayMs: retry.max_backoff }, attempt, this.random);
        const delayMs = Math.max(backoffMs, retryAfterMs);
        log.warn({ channel: channel.type, attempt, maxAttempts: retry.max_attempts, delayMs, error: message }, 'notification delivery failed; retrying');
        await this.options.clock.sleep(delayMs, signal);
      }
    }
  }

  /** Writes the DeliveryRecord of an outcome and returns the outcome with its time. */
  private async record(notification: Notification, outcome: Omit<DeliveryResult, 'at'> & { outcome: DeliveryOutcome; channel: string }): Promise<DeliveryResult> {
    const result: DeliveryResult = { ...outcome, at: this.options.clock.now() };
    const record: DeliveryRecord = {
      ts: result.at,
      idempotencyKey: notification.idempotencyKey,
      fingerprint: notification.alert.fingerprint,
      receiver: notification.receiver,
      channel: outcome.channel,
      outcome: outcome.outcome,
      attempts: result.attempts,
    };
    if (result.error !== undefined) record.error = result.error;
    await this.options.store.writeDeliveries([record]);
    return result;
  }
}

interface AttemptsResult {
  attempts: number;
  /** Reason the last attempt failed; absent when delivered. */
  error?: string;
}
