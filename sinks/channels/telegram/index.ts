import type { Notification } from '../../../pipeline/messages/notification.js';
import type { Channel, ChannelContext } from '../channel.js';
import { ChannelConfigError, resolveValue } from '../config-fields.js';
import type { ChannelType } from '../registry-types.js';
import { type TelegramConfig, telegramConfigSchema } from './config.js';
import { encodeTelegramText } from './encode.js';
import { type SendMessageRequest, TelegramTransport } from './transport.js';

/** Bot tokens look like `123456789:AA…`: a bot id, a colon and URL-safe characters. */
const BOT_TOKEN = /^\d+:[A-Za-z0-9_-]+$/;

export class TelegramChannel implements Channel {
  readonly type = 'telegram';
  private readonly transport: TelegramTransport;

  /** Resolves the bot token. Throws ChannelConfigError naming its source, never its value. */
  constructor(
    private readonly config: TelegramConfig,
    context: ChannelContext,
  ) {
    const field = `receiver ${context.receiver}: bot_token`;
    const botToken = resolveValue(config.bot_token, context.env, field);
    if (!BOT_TOKEN.test(botToken)) {
      throw new ChannelConfigError(`${field} is not a bot token of the form 123456789:AAE…; copy it from @BotFather`);
    }
    this.transport = new TelegramTransport({ apiUrl: new URL(config.api_url), botToken, timeoutMs: config.timeout, clock: context.clock, receiver: context.receiver });
  }

  async deliver(notification: Notification): Promise<void> {
    const request: SendMessageRequest = {
      chat_id: this.config.chat_id,
      text: encodeTelegramText(notification),
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    };
    if (this.config.disable_notification) request.disable_notification = true;
    if (this.config.message_thread_id !== undefined) request.message_thread_id = this.config.message_thread_id;
    await this.transport.send(request);
  }
}

export const telegramChannel: ChannelType<typeof telegramConfigSchema> = {
  type: 'telegram',
  configSchema: telegramConfigSchema,
  create: (config, context) => new TelegramChannel(config, context),
};
