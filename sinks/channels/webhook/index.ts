import type { Notification } from '../../../pipeline/messages/notification.js';
import type { Channel, ChannelContext } from '../channel.js';
import { resolveValue } from '../config-fields.js';
import type { ChannelType } from '../registry-types.js';
import { type WebhookConfig, webhookConfigSchema } from './config.js';
import { encodeAlertmanagerPayload, encodeWebhookPayload } from './encode.js';
import { WebhookTransport } from './transport.js';

export class WebhookChannel implements Channel {
  readonly type = 'webhook';
  private readonly transport: WebhookTransport;
  private readonly encode: (notification: Notification) => string;

  /** Resolves environment-backed values; throws ChannelConfigError naming a missing variable. */
  constructor(config: WebhookConfig, context: ChannelContext) {
    const urlText = resolveValue(config.url, context.env, `receiver ${context.receiver}: url`);
    const url = new URL(urlText);
    // A URL from the environment skipped the schema's check, so check it here.
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`receiver ${context.receiver}: url must use http or https, found ${url.protocol}`);
    }

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
