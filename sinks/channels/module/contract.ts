import type { Channel, ChannelContext } from '../channel.js';

/**
 * Exports of a channel module, as named exports or as the properties of its
 * default export. sinks/README.md documents the contract with an example.
 */
export interface ChannelModule {
  /**
   * A schema for `options`: a zod schema of any zod version, or any object
   * whose `safeParse` returns `{ success, data }` or `{ success, error: { issues } }`.
   */
  optionsSchema?: OptionsSchema;
  /** Returns the validated options or throws an Error saying what is wrong; used when there is no optionsSchema. */
  validate?: (options: unknown) => unknown;
  /** Builds the channel from validated options. */
  createChannel: (options: any, context: ModuleChannelContext) => Channel | Promise<Channel>;
}

export interface OptionsSchema {
  safeParse(input: unknown): { success: true; data: unknown } | { success: false; error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> } };
}

/** Context a module's createChannel receives besides its options. */
export interface ModuleChannelContext extends ChannelContext {
  /**
   * Resolves an option given inline, as `{ env: NAME }` or as `{ file: PATH }`,
   * the way built-in channels resolve secrets. Throws ChannelConfigError
   * naming the variable or file (never the value) when it is missing.
   */
  resolveSecret(value: unknown, what: string): string;
}
