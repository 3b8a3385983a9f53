import type { Notification } from '../../../pipeline/messages/notification.js';
import type { Channel, ChannelContext } from '../channel.js';
import type { ChannelType } from '../registry-types.js';
import { type ConsoleConfig, consoleConfigSchema } from './config.js';
import { encodeConsoleLine } from './encode.js';
import { writeConsoleLine } from './transport.js';

export class ConsoleChannel implements Channel {
  readonly type = 'console';
  private readonly logger;

  constructor(context: ChannelContext) {
    // The receiver is a field of every encoded line, so binding it here would write it twice.
    this.logger = context.logger.child({ channel: 'console' });
  }

  async deliver(notification: Notification): Promise<void> {
    writeConsoleLine(this.logger, encodeConsoleLine(notification));
  }
}

export const consoleChannel: ChannelType<typeof consoleConfigSchema> = {
  type: 'console',
  configSchema: consoleConfigSchema,
  create: (_config: ConsoleConfig, context) => new ConsoleChannel(context),
};
