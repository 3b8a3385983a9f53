import type { Clock } from '../../pipeline/clock/index.js';
import type { Logger } from '../../pipeline/log/logger.js';
import type { Notification } from '../../pipeline/messages/notification.js';

/**
 * One way to deliver notifications to a receiver: a webhook, the log, a chat
 * service. The notifier owns retries and deduplication; a channel makes one
 * attempt per `deliver` call.
 */
export interface Channel {
  /** Channel type name from the receiver's configuration, such as `webhook`; stored on delivery records. */
  readonly type: string;

  /** Delivers the notification once, or throws DeliveryError saying whether a retry may succeed. */
  deliver(notification: Notification): Promise<void>;
}

export interface DeliveryErrorOptions {
  /** Wait the receiver asked for (HTTP Retry-After), in milliseconds. */
  retryAfterMs?: number;
  /** HTTP status of the response, when there was one. */
  status?: number;
  cause?: unknown;
}

/** Raised by a channel when an attempt failed. Its message must not contain secrets. */
export class DeliveryError extends Error {
  readonly retryAfterMs?: number;
  readonly status?: number;

  constructor(
    message: string,
    /** Whether another attempt may succeed: true for 429, 5xx, network errors and timeouts. */
    readonly retryable: boolean,
    options: DeliveryErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'DeliveryError';
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

/** Dependencies a channel factory receives besides its own configuration. */
export interface ChannelContext {
  /** Receiver name, for log lines and error messages. */
  receiver: string;
  logger: Logger;
  clock: Clock;
  /** Environment that `{ env: NAME }` configuration values are read from: process.env in production. */
  env: Readonly<Record<string, string | undefined>>;
}
