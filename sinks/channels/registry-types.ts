import type { z } from 'zod';
import type { Channel, ChannelContext } from './channel.js';

/**
 * A channel type: its name, the schema of its receiver configuration (whose
 * `type` field is the literal name) and the factory that builds a channel
 * from a validated configuration.
 */
export interface ChannelType<S extends z.ZodType> {
  readonly type: string;
  readonly configSchema: S;
  /**
   * Builds the channel. Throws or rejects with ChannelConfigError when the
   * configuration cannot be resolved. Only the `module` type needs to be
   * asynchronous, because it imports code.
   */
  create(config: z.output<S>, context: ChannelContext): Channel | Promise<Channel>;
}
