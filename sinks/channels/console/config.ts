import { z } from 'zod';

/**
 * Writes each notification to the process log at warn level; useful on a
 * laptop and as a fallback receiver.
 *
 * ```yaml
 * receivers:
 *   - name: log
 *     type: console
 * ```
 */
export const consoleConfigSchema = z.strictObject({
  type: z.literal('console'),
});

export type ConsoleConfig = z.output<typeof consoleConfigSchema>;
