import type { Notification } from '../../../pipeline/messages/notification.js';
import type { Channel, ChannelContext } from '../channel.js';
import { resolveValue } from '../config-fields.js';
import { parseHttpUrl } from '../http.js';
import type { ChannelType } from '../registry-types.js';
import { type SlackConfig, slackConfigSchema } from './config.js';
import { encodeSlackMessage } from './encode.js';
import { SlackTransport } from './transport.js';

export class SlackChannel implements Channel {
  readonly type = 'slack';
  private readonly transport: SlackTransport;

  /** Resolves the webhook URL. Throws ChannelConfigError or TypeError naming its source, never its value. */
  constructor(config: SlackConfig, context: ChannelContext) {
    const field = `receiver ${context.receiver}: webhook_url`;
    const url = parseHttpUrl(resolveValue(config.webhook_url, context.env, field), field);
    this.transport = new SlackTransport({ url, timeoutMs: config.timeout, clock: context.clock, receiver: context.receiver });
  }

  async deliver(notification: Notification): Promise<void> {
    await this.transport.send(encodeSlackMessage(notification));
  }
}

export const slackChannel: ChannelType<typeof slackConfigSchema> = {
  type: 'slack',
  configSchema: slackConfigSchema,
  create: (config, context) => new SlackChannel(config, context),
};
