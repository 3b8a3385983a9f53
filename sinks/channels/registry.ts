import { z } from 'zod';
import { rateLimitSchema } from '../rate-limit.js';
import type { Channel, ChannelContext } from './channel.js';
import { consoleChannel } from './console/index.js';
import { emailChannel } from './email/index.js';
import { moduleChannel } from './module/index.js';
import { slackChannel } from './slack/index.js';
import { telegramChannel } from './telegram/index.js';
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
  slack: slackChannel,
  email: emailChannel,
  telegram: telegramChannel,
  module: moduleChannel,
} as const;

const receiverName = z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'expected 1 to 64 letters, digits, dots, dashes or underscores');

/** Keys every receiver has besides its channel's own. */
const receiverFields = {
  name: receiverName,
  /** Notifications per window for this receiver; unlimited when absent. */
  rate_limit: rateLimitSchema.optional(),
};

/** Returns a message naming `type` and its accepted values for a missing or unknown receiver type, in place of zod's "Invalid discriminator value". */
function unknownTypeMessage(issue: { code: string; input?: unknown; note?: string }): string | undefined {
  if (issue.code !== 'invalid_union' || issue.note !== 'No matching discriminator') return undefined;
  const names = Object.keys(CHANNEL_TYPES);
  const expected = `expected one of ${names.slice(0, -1).join(', ')} or ${names.at(-1)} (type: module loads a channel from an ES module you provide)`;
  const type = (issue.input as { type?: unknown } | undefined)?.type;
  return type === undefined ? `missing channel type; ${expected}` : `unknown channel type ${JSON.stringify(type)}; ${expected}`;
}

/** One receiver: a name that alert rules refer to in `notify`, and a channel type with its settings. */
export const receiverConfigSchema = z.discriminatedUnion(
  'type',
  [
    consoleChannel.configSchema.extend(receiverFields),
    webhookChannel.configSchema.extend(receiverFields),
    slackChannel.configSchema.extend(receiverFields),
    emailChannel.configSchema.extend(receiverFields),
    telegramChannel.configSchema.extend(receiverFields),
    moduleChannel.configSchema.extend(receiverFields),
  ],
  { error: unknownTypeMessage },
);

export type ReceiverConfig = z.output<typeof receiverConfigSchema>;

/** Receivers with unique names. */
export const receiversSchema = z
  .array(receiverConfigSchema)
  // The router's default_receivers is [console], so with this default a run without a configuration file can deliver.
  .prefault([{ name: 'console', type: 'console' }])
  .superRefine((receivers, context) => {
    const seen = new Set<string>();
    receivers.forEach((receiver, index) => {
      if (seen.has(receiver.name)) context.addIssue({ code: 'custom', path: [index, 'name'], message: `receiver ${receiver.name} is defined twice` });
      seen.add(receiver.name);
    });
  });

/**
 * Builds the channel of a validated receiver configuration. It is
 * asynchronous because a `module` receiver imports its code. The built-in
 * types resolve at once.
 */
export async function createChannel(config: ReceiverConfig, context: Omit<ChannelContext, 'receiver'>): Promise<Channel> {
  const channelContext: ChannelContext = { ...context, receiver: config.name };
  switch (config.type) {
    case 'console':
      return CHANNEL_TYPES.console.create(config, channelContext);
    case 'webhook':
      return CHANNEL_TYPES.webhook.create(config, channelContext);
    case 'slack':
      return CHANNEL_TYPES.slack.create(config, channelContext);
    case 'email':
      return CHANNEL_TYPES.email.create(config, channelContext);
    case 'telegram':
      return CHANNEL_TYPES.telegram.create(config, channelContext);
    case 'module':
      return CHANNEL_TYPES.module.create(config, channelContext);
  }
}

/** Builds every receiver's channel, keyed by receiver name. Rejects with the error of the first receiver that cannot be built. */
export async function createChannels(receivers: readonly ReceiverConfig[], context: Omit<ChannelContext, 'receiver'>): Promise<Map<string, Channel>> {
  const channels = new Map<string, Channel>();
  for (const receiver of receivers) channels.set(receiver.name, await createChannel(receiver, context));
  return channels;
}
