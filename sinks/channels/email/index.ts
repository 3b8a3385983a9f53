import type { Notification } from '../../../pipeline/messages/notification.js';
import type { Channel, ChannelContext } from '../channel.js';
import { resolveValue } from '../config-fields.js';
import type { ChannelType } from '../registry-types.js';
import { type EmailConfig, emailConfigSchema } from './config.js';
import { encodeEmail } from './encode.js';
import { EmailTransport } from './transport.js';

export class EmailChannel implements Channel {
  readonly type = 'email';
  private readonly transport: EmailTransport;

  /** Resolves the credentials. Throws ChannelConfigError naming a missing variable or file, never a value. */
  constructor(
    private readonly config: EmailConfig,
    context: ChannelContext,
  ) {
    const auth = config.auth
      ? {
          user: resolveValue(config.auth.user, context.env, `receiver ${context.receiver}: auth.user`),
          password: resolveValue(config.auth.password, context.env, `receiver ${context.receiver}: auth.password`),
        }
      : undefined;

    this.transport = new EmailTransport({
      host: config.host,
      port: config.port ?? (config.secure ? 465 : 587),
      secure: config.secure,
      requireTls: config.require_tls,
      auth,
      from: config.from,
      to: config.to,
      cc: config.cc,
      timeoutMs: config.timeout,
      receiver: context.receiver,
    });
  }

  async deliver(notification: Notification): Promise<void> {
    await this.transport.send(encodeEmail(notification, this.config.from));
  }
}

export const emailChannel: ChannelType<typeof emailConfigSchema> = {
  type: 'email',
  configSchema: emailConfigSchema,
  create: (config, context) => new EmailChannel(config, context),
};
