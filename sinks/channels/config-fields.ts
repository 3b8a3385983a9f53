import { z } from 'zod';

/** Names an environment variable that contains a value kept out of configuration files, such as a token. */
export const envReference = z.strictObject({
  env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
});

/** A configuration value given inline or as `{ env: NAME }`. */
export const secretOrText = z.union([z.string(), envReference]);
export type SecretOrText = z.output<typeof secretOrText>;

/** Raised when a channel's configuration cannot be resolved, for example a missing environment variable. */
export class ChannelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelConfigError';
  }
}

/**
 * Returns the value of an inline or environment-backed field. Throws
 * ChannelConfigError naming the variable, never its value, when it is unset
 * or empty.
 */
export function resolveValue(value: SecretOrText, env: Readonly<Record<string, string | undefined>>, what: string): string {
  if (typeof value === 'string') return value;
  const resolved = env[value.env];
  if (resolved === undefined || resolved === '') {
    throw new ChannelConfigError(`${what} reads environment variable ${value.env}, which is not set or empty; set it before starting`);
  }
  return resolved;
}
