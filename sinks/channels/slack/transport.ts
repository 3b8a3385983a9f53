import type { Clock } from '../../../pipeline/clock/index.js';
import { parseRetryAfter } from '../../retry.js';
import { DeliveryError } from '../channel.js';
import { isRetryableStatus, postJson, quote } from '../http.js';
import type { SlackMessage } from './encode.js';

export interface SlackTransportOptions {
  /** Incoming-webhook URL, which is a secret. */
  url: URL;
  timeoutMs: number;
  clock: Clock;
  receiver: string;
}

/**
 * Posts a message to an incoming webhook. Slack responds with 200 and the body
 * `ok`, or an error status with a short error code as the body, such as
 * `invalid_blocks` (400), `no_service` (404) or `channel_is_archived` (410).
 * 429 comes with Retry-After. 429, 408 and 5xx are retryable, while other
 * errors are not, because the same payload or a revoked URL fails again.
 */
export class SlackTransport {
  private readonly target: string;

  constructor(private readonly options: SlackTransportOptions) {
    // Only the origin is named, because the path of a webhook URL is its secret.
    this.target = `slack ${options.receiver} (${options.url.origin})`;
  }

  async send(message: SlackMessage): Promise<void> {
    const response = await postJson({ url: this.options.url, body: JSON.stringify(message), timeoutMs: this.options.timeoutMs, target: this.target });
    if (response.status >= 200 && response.status < 300) return;

    const status = response.status;
    const detail = quote(response.body, [this.options.url.pathname, this.options.url.href]);
    const failure = `${this.target} responded with HTTP ${status}${detail ? `: ${detail}` : ''}`;

    if (status >= 300 && status < 400) {
      throw new DeliveryError(`${failure}; redirects are not followed, so configure the webhook URL Slack issued`, false, { status });
    }
    if (isRetryableStatus(status)) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.options.clock.now());
      throw new DeliveryError(failure, true, { status, retryAfterMs });
    }
    throw new DeliveryError(failure, false, { status });
  }
}
