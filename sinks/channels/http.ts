import { DeliveryError } from './channel.js';

/** A response as the chat channels read it: status, headers and the whole body as text. */
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
   * Names the receiver in error messages in place of the URL, such as
   * `slack oncall (https://hooks.slack.com)`, because the URL's path may
   * contain a token.
   */
  target: string;
  headers?: Readonly<Record<string, string>>;
}

/** Maximum number of characters of a response body quoted in an error message. */
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
    // The status alone still decides the outcome.
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
 * Whether another attempt may succeed after this status: 429, 408 (which
 * invites the client to repeat the request, RFC 9110 section 15.5.9) and 5xx.
 */
export const isRetryableStatus = (status: number): boolean => status === 429 || status === 408 || status >= 500;

/**
 * Shortens response text for an error message: whitespace collapsed, at most
 * MAX_QUOTED_BODY characters, and every secret of four or more characters
 * replaced by `[redacted]` in case the receiver echoes the request.
 */
export function quote(text: string, secrets: readonly string[]): string {
  let quoted = text.trim();
  // Longest first, so that a secret contained in another cannot leave the rest of the longer one showing.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 4) quoted = quoted.split(secret).join('[redacted]');
  }
  quoted = quoted.replace(/\s+/g, ' ');
  return quoted.length > MAX_QUOTED_BODY ? `${quoted.slice(0, MAX_QUOTED_BODY)}…` : quoted;
}

/** Checks that a URL read from the environment or a file uses http or https and carries no credentials. */
export function parseHttpUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The text may be a secret, such as a webhook URL, so it is not quoted.
    throw new TypeError(`${what} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${what} must use http or https, found ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`${what} must not contain a user or password`);
  }
  return url;
}
