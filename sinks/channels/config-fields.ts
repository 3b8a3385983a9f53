import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Names an environment variable that contains a value kept out of configuration files, such as a token. */
export const envReference = z.strictObject({
  env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
});

/**
 * Names a file that contains a value kept out of configuration files, such as
 * a mounted Docker or Kubernetes secret. A relative path is resolved against
 * the working directory of the fleetpulse process.
 */
export const fileReference = z.strictObject({
  file: z.string().min(1, 'expected a file path'),
});

/** A configuration value given as inline text, as `{ env: NAME }` or as `{ file: PATH }`. */
export const secretOrText = z.union([z.string(), envReference, fileReference]);
export type SecretOrText = z.output<typeof secretOrText>;

/**
 * A secret that must not be written into a configuration file: `{ env: NAME }`
 * or `{ file: PATH }`, never inline text.
 */
export const secretReference = z.union([envReference, fileReference], {
  error: 'expected { env: NAME } or { file: PATH }, so that the secret stays out of configuration files',
});
export type SecretReference = z.output<typeof secretReference>;

/** Raised when a channel's configuration cannot be resolved, for example a missing environment variable. */
export class ChannelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelConfigError';
  }
}

/**
 * Returns the value of an inline, environment-backed or file-backed field.
 * A file's trailing line break is removed, because editors and `echo` usually
 * end a file with one. Throws ChannelConfigError naming the
 * variable or file, never its content, when the value is missing or empty.
 */
export function resolveValue(value: SecretOrText, env: Readonly<Record<string, string | undefined>>, field: string): string {
  if (typeof value === 'string') return value;

  if ('env' in value) {
    const resolved = env[value.env];
    if (resolved === undefined || resolved === '') {
      throw new ChannelConfigError(`${field} reads environment variable ${value.env}, which is not set or empty; set it before starting`);
    }
    return resolved;
  }

  let content: string;
  try {
    content = readFileSync(value.file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ChannelConfigError(`${field} reads file ${value.file}, which cannot be read (${code}); check the path and its permissions`);
  }
  const resolved = content.replace(/\r?\n$/, '');
  if (resolved === '') {
    throw new ChannelConfigError(`${field} reads file ${value.file}, which is empty; write the value into it before starting`);
  }
  return resolved;
}

/** Describes where a value came from for error messages, without the value itself. */
export function describeSource(value: SecretOrText): string {
  if (typeof value === 'string') return 'the configuration';
  return 'env' in value ? `environment variable ${value.env}` : `file ${value.file}`;
}
