import { z } from 'zod';
import { LABEL_NAME, METRIC_NAME } from '../../pipeline/messages/metric-batch.js';
import { SEVERITIES } from '../../pipeline/messages/alert-event.js';

export const COMPARISONS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Comparison = (typeof COMPARISONS)[number];

export const thresholdRuleSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected letters, digits and underscores, not starting with a digit'),
  metric: z.string().regex(METRIC_NAME, 'expected a metric name such as cpu_usage'),
  op: z.enum(COMPARISONS),
  threshold: z.number(),
  severity: z.enum(SEVERITIES as [string, ...string[]]).default('warning'),
  /** Only series whose labels equal these values; all series when empty. */
  match: z.record(z.string().regex(LABEL_NAME), z.string()).default({}),
  /** Labels added to every alert of this rule. */
  labels: z.record(z.string().regex(LABEL_NAME), z.string()).default({}),
  annotations: z.record(z.string(), z.string()).default({}),
  /** Receiver names; the router's default receivers when empty. */
  notify: z.array(z.string().min(1)).default([]),
});

export type ThresholdRule = z.output<typeof thresholdRuleSchema>;
