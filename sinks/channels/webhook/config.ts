import { z } from 'zod';
import { duration } from '../../../pipeline/config/fields.js';
import { envReference, fileReference } from '../config-fields.js';

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
  fileReference,
]);

/**
 * POSTs each notification as JSON to a URL, in fleetpulse's own shape
 * (`format: native`, the default) or in the shape of Prometheus
 * Alertmanager's webhook receiver (`format: alertmanager`, payload version
 * "4"), so that tools written for Alertmanager accept fleetpulse alerts.
 * Both carry every alert of the notification's group, up to `max_alerts`,
 * and send the idempotency key in the Idempotency-Key header.
 *
 * The URL and header values may name an environment variable or a file
 * instead of holding the value (`{ env: NAME }`, `{ file: PATH }`), so that
 * tokens stay out of configuration files.
 * Neither the URL's path and query nor any header value reaches a log line
 * or an error message, because many webhook URLs carry a token.
 *
 * ```yaml
 * receivers:
 *   - name: oncall
 *     type: webhook
 *     url: { env: ONCALL_WEBHOOK_URL }
 *     timeout: 5s
 *     format: alertmanager
 *     external_url: https://fleetpulse.example.com
 *     max_alerts: 100
 *     headers:
 *       Authorization: { env: ONCALL_WEBHOOK_AUTHORIZATION }
 *       X-Team: platform
 * ```
 */
export const webhookConfigSchema = z.strictObject({
  type: z.literal('webhook'),
  url: z.union([webhookUrl, envReference, fileReference]),
  /** Time one POST may take, connection included, before it fails as retryable. */
  timeout: duration({ min: 1 }).prefault('10s'),
  /** Payload shape: `native` (fleetpulse's, with the idempotency key in the body) or `alertmanager`. */
  format: z.enum(['native', 'alertmanager']).default('native'),
  /** Value of `externalURL` in Alertmanager-shaped payloads, the URL at which people reach fleetpulse. */
  external_url: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Maximum number of alerts in one payload, like Alertmanager's `max_alerts`.
   * The rest are counted in `truncatedAlerts`, and 0 sends every alert of the
   * group.
   */
  max_alerts: z.number().int().min(0).default(0),
  /** Extra request headers. */
  headers: z
    .record(z.string().regex(HEADER_NAME, 'expected an HTTP header name'), headerValue)
    .default({})
    .refine((headers) => Object.keys(headers).every((name) => !RESERVED_HEADERS.includes(name.toLowerCase())), {
      message: `must not set ${RESERVED_HEADERS.join(', ')}; the channel sets them`,
    }),
});

export type WebhookConfig = z.output<typeof webhookConfigSchema>;
