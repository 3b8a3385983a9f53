import { z } from 'zod';
import { duration } from '../../../pipeline/config/fields.js';
import { envReference } from '../config-fields.js';

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Headers the channel sets itself; configuration may not override them. */
export const RESERVED_HEADERS = ['content-type', 'content-length', 'idempotency-key', 'host', 'transfer-encoding', 'connection'];

const webhookUrl = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  },
  { message: 'expected an http:// or https:// URL without user or password (send credentials in headers)' },
);

const headerValue = z.union([
  z.string().regex(/^[^\r\n\0]*$/, 'header values must not contain line breaks or NUL'),
  envReference,
]);

/**
 * POSTs each notification as JSON to a URL.
 *
 * The URL and header values may name an environment variable instead of
 * holding the value (`{ env: NAME }`), so that tokens stay out of files.
 * Neither the URL's path and query nor any header value reaches a log line
 * or an error message, because many webhook URLs carry a token.
 *
 * ```yaml
 * receivers:
 *   - name: oncall
 *     type: webhook
 *     url: { env: ONCALL_WEBHOOK_URL }
 *     timeout: 5s
 *     headers:
 *       Authorization: { env: ONCALL_WEBHOOK_AUTHORIZATION }
 *       X-Team: platform
 * ```
 */
export const webhookConfigSchema = z.strictObject({
  type: z.literal('webhook'),
  url: z.union([webhookUrl, envReference]),
  /** Time one POST may take, connection included, before it fails as retryable. */
  timeout: duration({ min: 1 }).prefault('10s'),
  /** Extra request headers. */
  headers: z
    .record(z.string().regex(HEADER_NAME, 'expected an HTTP header name'), headerValue)
    .default({})
    .refine((headers) => Object.keys(headers).every((name) => !RESERVED_HEADERS.includes(name.toLowerCase())), {
      message: `must not set ${RESERVED_HEADERS.join(', ')}; the channel sets them`,
    }),
});

export type WebhookConfig = z.output<typeof webhookConfigSchema>;
