import { z } from 'zod';
import { duration } from '../pipeline/config/fields.js';
import { valueHints } from '../pipeline/config/value-hints.js';
import { LABEL_NAME } from '../pipeline/messages/metric-batch.js';
import { SEVERITIES } from '../pipeline/messages/alert-event.js';

/** A dead-man's switch for a group of agents, written in config rather than as an absent() rule. */
export const deadmanGroupSchema = z.strictObject({
  /** Alert name, such as `DatabaseSilent`. */
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected letters, digits and underscores, not starting with a digit'),
  /** Tags an agent must have, with these exact values. With `match_re` also empty, the group covers every agent. */
  match: z.record(z.string().regex(LABEL_NAME), z.string()).default({}),
  /** Tags an agent must match, as fully anchored regular expressions. */
  match_re: z.record(z.string().regex(LABEL_NAME), z.string()).default({}),
  /** Time without a batch from the agent after which it counts as down, such as `60s`. */
  timeout: z.string().regex(/^(\d+(ms|s|m|h|d|w))+$/, 'expected a duration such as 60s or 5m'),
  severity: z.enum(SEVERITIES as [string, ...string[]]).default('critical'),
  notify: z.array(z.string().min(1)).default([]),
});

export type DeadmanGroup = z.output<typeof deadmanGroupSchema>;

export const processorConfigSchema = z
  .strictObject({
    /** Rule files or directories of them (their .yml and .yaml files); see docs/rules.md. */
    rule_files: z.array(z.string().min(1)).register(valueHints, { expected: 'a list of file or folder paths, such as [rules/]' }).default([]),
    /** Dead-man's switches per agent group: `{name, match: {role: db}, timeout: 60s}`. */
    deadman: z.array(deadmanGroupSchema).default([]),
    /** How far behind a series' newest sample a sample may arrive and still count. */
    allowed_lateness: duration({ min: 0 }).prefault('1m'),
    /** Longest window a rule may read; it bounds the history a restarted processor replays. */
    max_window: duration({ min: 1_000 }).prefault('1d'),
    /** Interval at which rules that read absent() and dead-man groups are checked on the processing clock. */
    tick_interval: duration({ min: 10 }).prefault('1s'),
    /** Time without a sample after which a series is forgotten and its firing alerts resolve. */
    staleness: duration({ min: 1_000 }).prefault('5m'),
    /** Interval at which each partition's alert state and last-seen times are checkpointed. */
    checkpoint_interval: duration({ min: 10 }).prefault('5s'),
    /**
     * Max age of the newest record handled while records still wait on the
     * bus. Beyond it the processor counts as behind and pauses its absent()
     * and dead-man checks, because the waiting batches may come from the
     * silent agents.
     */
    max_lag: duration({ min: 0 }).prefault('5s'),
  })
  .prefault({});

export type ProcessorConfig = z.output<typeof processorConfigSchema>;
