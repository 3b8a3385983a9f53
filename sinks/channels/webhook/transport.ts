import type { Clock } from '../../../pipeline/clock/index.js';
import { parseRetryAfter } from '../../retry.js';
import { DeliveryError } from '../channel.js';
import { isRetryableStatus, postJson, quote } from '../http.js';

export interface WebhookRequest {
  body: string;
  idempotencyKey: string;
}

export interface WebhookTransportOptions {
  url: URL;
  /** Extra headers, values resolved; they may hold secrets. */
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
  clock: Clock;
  /** Name used in error messages in place of the URL, which may contain a token. */
  receiver: string;
}

/**
 * POSTs JSON with fetch and turns every outcome other than 2xx into a
 * DeliveryError. 429, 408 and 5xx responses, network errors and timeouts
 * are retryable, with Retry-After when the receiver sent it. Redirects and
 * other 4xx responses are not, because repeating the same request cannot
 * fix them. Redirects are not followed, so that the headers never go to another
 * address.
 */
export class WebhookTransport {
  private readonly target: string;

  constructor(private readonly options: WebhookTransportOptions) {
    this.target = `webhook ${options.receiver} (${options.url.origin})`;
  }

  async post(request: WebhookRequest): Promise<void> {
    const response = await postJson({
      url: this.options.url,
      body: request.body,
      timeoutMs: this.options.timeoutMs,
      target: this.target,
      headers: { ...this.options.headers, 'Idempotency-Key': request.idempotencyKey },
    });
    const status = response.status;
    if (status >= 200 && status < 300) return;

    const message = `${this.target} responded with HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}${this.quoteBody(response.body)}`;
    if (status >= 300 && status < 400) {
      throw new DeliveryError(`${message}; redirects are not followed, so configure the final URL`, false, { status });
    }
    if (isRetryableStatus(status)) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.options.clock.now());
      throw new DeliveryError(message, true, { status, retryAfterMs });
    }
    throw new DeliveryError(message, false, { status });
  }

  /**
   * Quotes the start of an error response, which usually explains what the
   * receiver rejected. Configured header values are masked in case the
   * receiver echoes the request. So are the URL's path and query, because
   * they often contain a token.
   */
  private quoteBody(body: string): string {
    const { url } = this.options;
    const quoted = quote(body, [...Object.values(this.options.headers), `${url.pathname}${url.search}`, url.pathname, url.search.slice(1)]);
    return quoted === '' ? '' : `: ${quoted}`;
  }
}
