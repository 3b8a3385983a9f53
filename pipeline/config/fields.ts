import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A duration written as text (`30s`, `5m`, `1h30m`), parsed to milliseconds. */
export const duration = (options: { min?: number; max?: number } = {}) =>
  z.union([z.string(), z.number()]).transform((text, context) => {
    if (typeof text === 'number') {
      context.addIssue({ code: 'custom', message: `expected a duration with a unit such as 30s or 5m, found the number ${text}` });
      return z.NEVER;
    }
    const ms = parseDuration(text);
    if (ms === undefined) {
      context.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 30s, 5m or 1h, found ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    if (options.min !== undefined && ms < options.min) {
      context.addIssue({ code: 'custom', message: `must be at least ${options.min} ms, found ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    if (options.max !== undefined && ms > options.max) {
      context.addIssue({ code: 'custom', message: `must be at most ${options.max} ms, found ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return ms;
  });

const SIZE = /^(\d+)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/;
const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3 };

/** A byte size written as a number or text (`1MiB`, `512KiB`, `1000000`), parsed to bytes. */
export const byteSize = () =>
  z.union([z.number(), z.string()]).transform((input, context) => {
    const match = SIZE.exec(String(input));
    if (!match) {
      context.addIssue({ code: 'custom', message: `expected a size such as 1048576, 512KiB or 1MiB, found ${JSON.stringify(input)}` });
      return z.NEVER;
    }
    return Number(match[1]) * SIZE_UNITS[match[2] ?? 'B']!;
  });

export const port = () => z.number().int().min(1).max(65_535);

export const logLevel = () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
