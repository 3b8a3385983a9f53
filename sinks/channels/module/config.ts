import { z } from 'zod';
import { duration } from '../../../pipeline/config/fields.js';

/**
 * Delivers through a channel that a JavaScript module outside fleetpulse
 * implements. The module validates `options` itself. sinks/README.md
 * ("Channel modules") describes the module and its options.
 *
 * ```yaml
 * receivers:
 *   - name: pager
 *     type: module
 *     module: ./channels/pager-channel.js
 *     timeout: 15s
 *     options:
 *       service: db-oncall
 *       api_key: { env: PAGER_API_KEY }
 * ```
 */
export const moduleConfigSchema = z.strictObject({
  type: z.literal('module'),
  /** Path of an ES module, absolute or relative to the working directory of the fleetpulse process. */
  module: z
    .string()
    .regex(/^(\.{1,2}\/|\/|[A-Za-z]:[\\/])/, 'expected a file path starting with ./, ../ or /, such as ./channels/pager-channel.js'),
  /** The module's own settings, checked by its optionsSchema or validate export. */
  options: z.record(z.string(), z.unknown()).default({}),
  /** Time one `deliver` call may take before it fails as retryable. */
  timeout: duration({ min: 1 }).prefault('30s'),
});

export type ModuleConfig = z.output<typeof moduleConfigSchema>;
