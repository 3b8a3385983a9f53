import { z } from 'zod';
import { duration } from '../pipeline/config/fields.js';

export const processorConfigSchema = z
  .strictObject({
    /** Rule files or directories of them (their .yml and .yaml files); see docs/rules.md. */
    rule_files: z.array(z.string().min(1)).default([]),
    /** How far behind a series' newest sample a sample may arrive and still count. */
    allowed_lateness: duration({ min: 0 }).prefault('1m'),
    /** Longest window a rule may read; it bounds the history a restarted processor replays. */
    max_window: duration({ min: 1_000 }).prefault('1d'),
    /** How often rules that read absent() are evaluated on the processing clock. */
    tick_interval: duration({ min: 10 }).prefault('1s'),
  })
  .prefault({});

export type ProcessorConfig = z.output<typeof processorConfigSchema>;
