import { DeliveryError } from './channel.js';
import { truncate } from './text.js';

/** An HTTP response with the whole body read as text. */
export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Headers;
  body: string;
}

export interface PostJsonOptions {
  url: URL;
  body: string;
  timeoutMs: number;
  /**
   * Receiver and origin for error messages, such as `slack oncall
   * (https://hooks.slack.com)`, used in place of the URL because the URL's
   * path may contain a token.
   */
  target: string;
  headers?: Readonly<Record<string, string>>;
}

/** Maximum number of characters, ellipsis included, of a response body quoted in an error message. */
export const MAX_QUOTED_BODY = 200;

/**
 * POSTs JSON with fetch and returns the response, whatever its status.
 * Redirects are not followed, so the request never goes to another address.
 * Network errors and timeouts throw a retryable DeliveryError whose message
 * names `target`, never the URL.
 */
export async function postJson(options: PostJsonOptions): Promise<HttpResponse> {
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: { ...options.headers, 'Content-Type': 'application/json' },
      body: options.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw networkError(error, options);
  }

  let body = '';
  try {
    body = await response.text();
  } catch {
    // The body stays empty, because the status alone decides the outcome.
  }
  return { status: response.status, statusText: response.statusText, headers: response.headers, body };
}

function networkError(error: unknown, options: PostJsonOptions): DeliveryError {
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new DeliveryError(`${options.target} timed out after ${options.timeoutMs} ms`, true, { cause: error });
  }
  // fetch reports network failures as TypeError("fetch failed") with the socket error as cause.
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error | undefined)?.message ?? String(error);
  return new DeliveryError(`${options.target} could not be reached: ${detail}`, true, { cause: error });
}

/**
 * Returns whether another attempt may succeed after this status: 429, 408
 * (which invites the client to repeat the request, RFC 9110 section 15.5.9)
 * and 5xx.
 */
export const isRetryableStatus = (status: number): boolean => status === 429 || status === 408 || status >= 500;

/**
 * Prepares response text for an error message. Every secret of four or more
 * characters is replaced by `[redacted]` in case the receiver echoes the
 * request, whitespace is collapsed and the text is cut to MAX_QUOTED_BODY
 * characters.
 */
export function quote(text: string, secrets: readonly string[]): string {
  let quoted = text.trim();
  // Longer secrets are masked first, because masking a shorter one inside a longer one first would leave the rest showing.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 4) quoted = quoted.split(secret).join('[redacted]');
  }
  quoted = quoted.replace(/\s+/g, ' ');
  return truncate(quoted, MAX_QUOTED_BODY);
}

/**
 * Parses a URL read from the environment or a file and checks that it uses
 * http or https and contains no credentials. Throws TypeError naming `field`.
 */
export function parseHttpUrl(text: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The text may be a secret, such as a webhook URL, so it is not quoted.
    throw new TypeError(`${field} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${field} must use http or https, found ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`${field} must not contain a user or password`);
  }
  return url;
}
