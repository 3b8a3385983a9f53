import { z } from 'zod';
import type { Channel, ChannelContext } from './channel.js';
import { consoleChannel } from './console/index.js';
import type { ChannelType } from './registry-types.js';
import { webhookChannel } from './webhook/index.js';

export type { ChannelType } from './registry-types.js';

/**
 * Every channel type, by name. Adding a channel means a new folder beside
 * console/ and webhook/, plus its entry here, in receiverConfigSchema and in
 * createChannel's switch, which the compiler checks for exhaustiveness.
 */
export const CHANNEL_TYPES = {
  console: consoleChannel,
  webhook: webhookChannel,
} as const;

const receiverName = z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'expected 1 to 64 letters, digits, dots, dashes or underscores');

/** One receiver: a name that alert rules refer to in `notify`, and a channel type with its settings. */
export const receiverConfigSchema = z.discriminatedUnion('type', [
  consoleChannel.configSchema.extend({ name: receiverName }),
  webhookChannel.configSchema.extend({ name: receiverName }),
]);

export type ReceiverConfig = z.output<typeof receiverConfigSchema>;

/** Receivers with unique names. */
export const receiversSchema = z
  .array(receiverConfigSchema)
  .default([])
  .superRefine((receivers, context) => {
    const seen = new Set<string>();
    receivers.forEach((receiver, index) => {
      if (seen.has(receiver.name)) context.addIssue({ code: 'custom', path: [index, 'name'], message: `receiver ${receiver.name} is defined twice` });
      seen.add(receiver.name);
    });
  });

/** Builds the channel of a validated receiver configuration. */
export function createChannel(config: ReceiverConfig, context: Omit<ChannelContext, 'receiver'>): Channel {
  const channelContext: ChannelContext = { ...context, receiver: config.name };
  switch (config.type) {
    case 'console':
      return CHANNEL_TYPES.console.create(config, channelContext);
    case 'webhook':
      return CHANNEL_TYPES.webhook.create(config, channelContext);
  }
}

/** Builds every receiver's channel, keyed by receiver name. */
export function createChannels(receivers: readonly ReceiverConfig[], context: Omit<ChannelContext, 'receiver'>): Map<string, Channel> {
  return new Map(receivers.map((receiver) => [receiver.name, createChannel(receiver, context)]));
}
