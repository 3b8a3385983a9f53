import type { Clock } from '../../../pipeline/clock/index.js';
import { parseRetryAfter } from '../../retry.js';
import { DeliveryError } from '../channel.js';

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

/** Maximum number of characters of a response body quoted in an error message. */
const MAX_QUOTED_BODY = 200;

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
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          ...this.options.headers,
          'Content-Type': 'application/json',
          'Idempotency-Key': request.idempotencyKey,
        },
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw this.networkError(error);
    }

    if (response.ok) {
      // Reading the body lets the connection go back to the pool.
      await response.arrayBuffer().catch(() => undefined);
      return;
    }

    const quoted = await this.quoteBody(response);
    const status = response.status;
    const message = `${this.target} responded with HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}${quoted}`;

    if (status >= 300 && status < 400) {
      throw new DeliveryError(`${message}; redirects are not followed, so configure the final URL`, false, { status });
    }
    // 408 Request Timeout invites the client to repeat the request (RFC 9110, section 15.5.9).
    if (status === 429 || status === 408 || status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.options.clock.now());
      throw new DeliveryError(message, true, { status, retryAfterMs });
    }
    throw new DeliveryError(message, false, { status });
  }

  private networkError(error: unknown): DeliveryError {
    const name = (error as Error | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new DeliveryError(`${this.target} timed out after ${this.options.timeoutMs} ms`, true, { cause: error });
    }
    // fetch reports network failures as TypeError("fetch failed") with the socket error as cause.
    const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
    const detail = cause?.code ?? cause?.message ?? (error as Error | undefined)?.message ?? String(error);
    return new DeliveryError(`${this.target} could not be reached: ${detail}`, true, { cause: error });
  }

  /**
   * Quotes the start of an error response, which usually explains what the
   * receiver rejected. Configured header values are masked in case the
   * receiver echoes the request. So are the URL's path and query, because
   * they often contain a token. The longest secrets are masked first, so a
   * shorter one inside them cannot leave the rest showing.
   */
  private async quoteBody(response: Response): Promise<string> {
    let text: string;
    try {
      text = (await response.text()).trim();
    } catch {
      return '';
    }
    if (text === '') return '';
    const { url } = this.options;
    const secrets = [...Object.values(this.options.headers), `${url.pathname}${url.search}`, url.pathname, url.search.slice(1)].sort((a, b) => b.length - a.length);
    for (const secret of secrets) {
      if (secret.length >= 4) text = text.split(secret).join('[redacted]');
    }
    const shortened = text.length > MAX_QUOTED_BODY ? `${text.slice(0, MAX_QUOTED_BODY)}…` : text;
    return `: ${shortened.replace(/\s+/g, ' ')}`;
  }
}
