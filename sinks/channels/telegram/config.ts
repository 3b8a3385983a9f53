import { z } from 'zod';
import { duration } from '../../../pipeline/config/fields.js';
import { secretReference } from '../config-fields.js';

const apiUrl = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.search === '';
    } catch {
      return false;
    }
  },
  { message: 'expected an http:// or https:// URL without user, password or query' },
);

/**
 * Sends each notification as a Telegram message through a bot (Bot API
 * `sendMessage`, HTML parse mode).
 *
 * The bot token is a secret that the Bot API puts in the request path, so it
 * is read from an environment variable or a file, and no log line or error
 * message contains the request URL.
 *
 * ```yaml
 * receivers:
 *   - name: ops-telegram
 *     type: telegram
 *     bot_token: { file: /run/secrets/telegram_bot_token }
 *     chat_id: -1001234567890
 *     message_thread_id: 42
 *     disable_notification: false
 *     api_url: https://api.telegram.org
 *     timeout: 10s
 * ```
 */
export const telegramConfigSchema = z.strictObject({
  type: z.literal('telegram'),
  /** Bot token such as `123456:ABC-…` from @BotFather, as `{ env: NAME }` or `{ file: PATH }`. */
  bot_token: secretReference,
  /** A chat's numeric id (negative for groups and channels) or a public channel's `@username`. */
  chat_id: z.union([
    z.number().int(),
    z.string().regex(/^(-?\d+|@[A-Za-z][A-Za-z0-9_]{3,})$/, 'expected a numeric chat id or @channelusername'),
  ]),
  /** Topic of a forum supergroup to post in. */
  message_thread_id: z.number().int().min(1).optional(),
  /** Sends messages without sound. */
  disable_notification: z.boolean().default(false),
  /** Bot API server, by default the official one. Set it only for a self-hosted Bot API server. */
  api_url: apiUrl.default('https://api.telegram.org'),
  /** Time one request may take, connection included, before it fails as retryable. */
  timeout: duration({ min: 1 }).prefault('10s'),
});

export type TelegramConfig = z.output<typeof telegramConfigSchema>;
