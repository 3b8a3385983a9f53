import { z } from 'zod';
import { duration, port } from '../../../pipeline/config/fields.js';
import { secretOrText, secretReference } from '../config-fields.js';

/** `ops@example.com` or `Fleet Alerts <ops@example.com>`, on one line. */
const address = z
  .string()
  .regex(/^([^\r\n<>@]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, 'expected an address such as ops@example.com or "Fleet Alerts <ops@example.com>"');

/**
 * Sends each notification as an email with a plain-text and an HTML part,
 * through an SMTP server (nodemailer).
 *
 * `secure: true` is TLS from the first byte (usually port 465). With
 * `secure: false` the connection is upgraded with STARTTLS when the server
 * offers it, and `require_tls: true` fails the delivery when it does not,
 * so that the password never crosses the network in clear text.
 *
 * ```yaml
 * receivers:
 *   - name: oncall-mail
 *     type: email
 *     host: smtp.example.com
 *     port: 587
 *     secure: false
 *     require_tls: true
 *     auth:
 *       user: alerts@example.com
 *       password: { env: SMTP_PASSWORD }
 *     from: Fleet Alerts <alerts@example.com>
 *     to: [oncall@example.com, sre-team@example.com]
 *     cc: [ops-archive@example.com]
 *     timeout: 30s
 * ```
 */
export const emailConfigSchema = z.strictObject({
  type: z.literal('email'),
  host: z.string().min(1),
  /** SMTP port, by default 465 when `secure` is true and 587 otherwise. */
  port: port().optional(),
  secure: z.boolean().default(false),
  require_tls: z.boolean().default(false),
  auth: z
    .strictObject({
      user: secretOrText,
      password: secretReference,
    })
    .optional(),
  from: address,
  to: z.array(address).min(1),
  cc: z.array(address).default([]),
  /** Time limit for connecting, for the server's greeting and for each wait on the server while sending. */
  timeout: duration({ min: 1 }).prefault('30s'),
});

export type EmailConfig = z.output<typeof emailConfigSchema>;
