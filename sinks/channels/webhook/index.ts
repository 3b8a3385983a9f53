import type { Notification } from '../../../pipeline/messages/notification.js';
import type { Channel, ChannelContext } from '../channel.js';
import { resolveValue } from '../config-fields.js';
import { parseHttpUrl } from '../http.js';
import type { ChannelType } from '../registry-types.js';
import { type WebhookConfig, webhookConfigSchema } from './config.js';
import { encodeAlertmanagerPayload, encodeWebhookPayload } from './encode.js';
import { WebhookTransport } from './transport.js';

export class WebhookChannel implements Channel {
  readonly type = 'webhook';
  private readonly transport: WebhookTransport;
  private readonly encode: (notification: Notification) => string;

  /**
   * Resolves environment- and file-backed values. Throws ChannelConfigError
   * naming a missing variable or file, or TypeError for an invalid URL,
   * without quoting the value.
   */
  constructor(config: WebhookConfig, context: ChannelContext) {
    const field = `receiver ${context.receiver}: url`;
    // A URL from the environment or a file skipped the schema's check, so it is checked here.
    const url = parseHttpUrl(resolveValue(config.url, context.env, field), field);

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(config.headers)) {
      headers[name] = resolveValue(value, context.env, `receiver ${context.receiver}: header ${name}`);
    }

    this.transport = new WebhookTransport({ url, headers, timeoutMs: config.timeout, clock: context.clock, receiver: context.receiver });
    this.encode =
      config.format === 'alertmanager'
        ? (notification) => encodeAlertmanagerPayload(notification, config.external_url, config.max_alerts)
        : (notification) => encodeWebhookPayload(notification, config.max_alerts);
  }

  async deliver(notification: Notification): Promise<void> {
    await this.transport.post({ body: this.encode(notification), idempotencyKey: notification.idempotencyKey });
  }
}

export const webhookChannel: ChannelType<typeof webhookConfigSchema> = {
  type: 'webhook',
  configSchema: webhookConfigSchema,
  create: (config, context) => new WebhookChannel(config, context),
};
