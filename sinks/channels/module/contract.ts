import type { Channel, ChannelContext } from '../channel.js';

/**
 * Exports of a channel module, as named exports or as the properties of its
 * default export. sinks/README.md documents the contract with an example.
 */
export interface ChannelModule {
  /**
   * Schema for `options`: a zod 3 or zod 4 schema, or any object whose
   * `safeParse` returns `{ success, data }` or `{ success, error: { issues } }`.
   */
  optionsSchema?: OptionsSchema;
  /** Validates the options and returns them, or throws an Error that names the problem. Used when there is no optionsSchema. */
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
   * Returns the value of an option given as inline text, as `{ env: NAME }` or
   * as `{ file: PATH }`, the way built-in channels resolve secrets. Throws
   * ChannelConfigError naming the variable or file, never the value, when the
   * value is missing or empty or the option has none of these forms.
   */
  resolveSecret(value: unknown, what: string): string;
}
