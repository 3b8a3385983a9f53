import { z } from 'zod';
import type { Clock } from '../pipeline/clock/index.js';
import { duration } from '../pipeline/config/fields.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { Notification } from '../pipeline/messages/notification.js';
import type { DedupLog } from '../pipeline/state/dedup-log.js';
import type { DeliveryRecord, Store } from '../pipeline/store/store.js';
import { type Channel, DeliveryError } from './channels/channel.js';
import { receiversSchema } from './channels/registry.js';
import { fullJitterDelayMs } from './retry.js';

/**
 * ```yaml
 * notifier:
 *   dedup_ttl: 24h
 *   retry: { max_attempts: 5, initial_backoff: 500ms, max_backoff: 30s, max_retry_after: 5m }
 *   receivers:
 *     - { name: oncall, type: webhook, url: { env: ONCALL_WEBHOOK_URL } }
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
  config: Pick<NotifierConfig, 'dedup_ttl' | 'retry'>;
  /** Source of jitter in [0, 1); Math.random unless given. */
  random?: () => number;
}

/** Outcome of one notification. */
export type NotifyOutcome = 'delivered' | 'failed' | 'duplicate';

/**
 * Delivers notifications to their receivers' channels and skips an
 * idempotency key that was delivered before, for as long as the dedup log
 * keeps the key.
 *
 * Stages, in order:
 * 1. Claim the key in the dedup log. A duplicate stops here.
 * 2. Attempt delivery. Retryable failures are retried with exponential
 *    backoff and full jitter, waiting at least as long as a Retry-After header requests.
 * 3. Record a DeliveryRecord through the store. When delivery finally fails,
 *    the claim is released first, so that a redelivery tries again.
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

  constructor(private readonly options: NotifierOptions) {
    this.random = options.random ?? Math.random;
  }

  /**
   * Delivers one notification and resolves with its outcome once the
   * delivery record is written. Rejects when the dedup log or the store fails.
   * Also rejects when `signal` aborts a wait between attempts, after
   * releasing the claim.
   */
  async deliver(notification: Notification, signal?: AbortSignal): Promise<NotifyOutcome> {
    const { dedupLog, logger } = this.options;
    const key = notification.idempotencyKey;
    const log = logger.child({ idempotencyKey: key, receiver: notification.receiver, fingerprint: notification.alert.fingerprint });

    if (!(await dedupLog.claim(key, this.options.config.dedup_ttl))) {
      log.debug('notification already delivered; skipped as a duplicate');
      return 'duplicate';
    }

    const channel = this.options.channels.get(notification.receiver);
    if (!channel) {
      await dedupLog.release(key);
      const error = `unknown receiver ${notification.receiver}; add it to notifier.receivers`;
      log.error(error);
      await this.record(notification, 'unknown', 'failed', 0, error);
      return 'failed';
    }

    let result: AttemptsResult;
    try {
      result = await this.attempt(channel, notification, log, signal);
    } catch (error) {
      await dedupLog.release(key);
      throw error;
    }

    if (result.error === undefined) {
      log.info({ channel: channel.type, attempts: result.attempts }, 'notification delivered');
      await this.record(notification, channel.type, 'delivered', result.attempts);
      return 'delivered';
    }

    await dedupLog.release(key);
    log.error({ channel: channel.type, attempts: result.attempts, error: result.error }, 'notification delivery failed');
    await this.record(notification, channel.type, 'failed', result.attempts, result.error);
    return 'failed';
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

  private async record(notification: Notification, channel: string, outcome: DeliveryRecord['outcome'], attempts: number, error?: string): Promise<void> {
    const record: DeliveryRecord = {
      ts: this.options.clock.now(),
      idempotencyKey: notification.idempotencyKey,
      fingerprint: notification.alert.fingerprint,
      receiver: notification.receiver,
      channel,
      outcome,
      attempts,
    };
    if (error !== undefined) record.error = error;
    await this.options.store.writeDeliveries([record]);
  }
}

interface AttemptsResult {
  attempts: number;
  /** Reason the last attempt failed; absent when delivered. */
  error?: string;
}
