import type { Clock } from '../../../pipeline/clock/index.js';
import { parseRetryAfter } from '../../retry.js';
import { DeliveryError } from '../channel.js';
import { isRetryableStatus, postJson, quote } from '../http.js';

/** The JSON body of a sendMessage request. */
export interface SendMessageRequest {
  chat_id: number | string;
  text: string;
  parse_mode: 'HTML';
  link_preview_options: { is_disabled: true };
  disable_notification?: boolean;
  message_thread_id?: number;
}

export interface TelegramTransportOptions {
  /** Bot API server, such as https://api.telegram.org. */
  apiUrl: URL;
  /** Bot token, a secret because it is part of the request path. */
  botToken: string;
  timeoutMs: number;
  clock: Clock;
  receiver: string;
}

/** The Bot API's response envelope. */
interface BotApiResponse {
  ok?: boolean;
  description?: string;
  error_code?: number;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/**
 * Calls `sendMessage`. The Bot API responds with `{ ok: true, result }`, or
 * `{ ok: false, error_code, description }` with the same HTTP status. A 429
 * carries the wait in `parameters.retry_after` (seconds), which this
 * transport prefers over a Retry-After header. 429, 408 and 5xx are retryable, while
 * 400 (such as "can't parse entities"), 401 (bad token) and 403 (bot removed
 * from the chat) are not.
 */
export class TelegramTransport {
  private readonly url: URL;
  private readonly target: string;

  constructor(private readonly options: TelegramTransportOptions) {
    const base = options.apiUrl.href.replace(/\/+$/, '');
    this.url = new URL(`${base}/bot${options.botToken}/sendMessage`);
    // Only the origin is named, because the path contains the token.
    this.target = `telegram ${options.receiver} (${options.apiUrl.origin})`;
  }

  async send(request: SendMessageRequest): Promise<void> {
    const response = await postJson({ url: this.url, body: JSON.stringify(request), timeoutMs: this.options.timeoutMs, target: this.target });
    const envelope = parseEnvelope(response.body);
    if (response.status >= 200 && response.status < 300 && envelope?.ok === true) return;

    const status = response.status;
    const secrets = [this.options.botToken];
    const description = quote(envelope?.description ?? response.body, secrets);
    let failure = `${this.target} responded with HTTP ${status}${description ? `: ${description}` : ''}`;

    const migratedTo = envelope?.parameters?.migrate_to_chat_id;
    if (migratedTo !== undefined) failure += `; the group became a supergroup, so set chat_id to ${migratedTo}`;

    if (isRetryableStatus(status)) {
      const retryAfterSeconds = envelope?.parameters?.retry_after;
      const retryAfterMs =
        typeof retryAfterSeconds === 'number' && retryAfterSeconds >= 0
          ? retryAfterSeconds * 1_000
          : parseRetryAfter(response.headers.get('retry-after'), this.options.clock.now());
      throw new DeliveryError(failure, true, { status, retryAfterMs });
    }
    throw new DeliveryError(failure, false, { status });
  }
}

function parseEnvelope(body: string): BotApiResponse | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as BotApiResponse) : undefined;
  } catch {
    return undefined;
  }
}
