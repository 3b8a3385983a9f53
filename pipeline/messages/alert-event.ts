export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

/**
 * An alert's state after a transition. `pending`: the condition holds but
 * not yet for the rule's duration. `inactive`: a pending alert whose
 * condition stopped holding before it fired. `resolved`: a firing alert
 * that stopped firing. Only `firing` and `resolved` are notified.
 */
export type AlertState = 'pending' | 'firing' | 'resolved' | 'inactive';

/**
 * One alert transition, published on the alerts topic keyed by fingerprint.
 * Consumers may see a transition twice (at-least-once delivery), and its
 * idempotency key identifies it, so a repeat is recognised and dropped.
 */
export interface AlertEvent {
  version: 1;
  /** Stable hash of the rule name and the identifying labels. */
  fingerprint: string;
  /** Number of the transition among those of this fingerprint, for ordering. It restarts when a processor loses the alert's state. */
  sequence: number;
  rule: string;
  state: AlertState;
  severity: Severity;
  agentId: string;
  /** Identifying labels: `alertname`, `agent`, the series' labels and the rule's own labels. */
  labels: Record<string, string>;
  /** The agent's tags at the time of the transition. */
  tags: Record<string, string>;
  annotations: Record<string, string>;
  /** The value that caused the transition. */
  value: number;
  /** Event time at which the condition first held in this episode (ms since epoch). */
  activeAt: number;
  /** Event time of the transition (ms since epoch). */
  at: number;
  /** Receivers the rule names; empty when the router's default applies. */
  notify: string[];
  /**
   * Metric of the first zscore or robust_zscore call in the rule's
   * condition, absent when the condition calls neither. The latency heatmap
   * marks the `firing` transitions of these alerts as outliers.
   */
  outlierMetric?: string;
}

/**
 * The key that makes a repeated delivery of one transition harmless:
 * fingerprint, episode start and state. An episode runs from the moment the
 * condition starts to hold until the alert resolves or goes inactive, and
 * each state occurs at most once in it. The key depends only on the samples,
 * so a processor that re-derives a transition after a restart or a
 * rebalance produces the same key even where its sequence numbers restarted.
 */
export const idempotencyKey = (event: Pick<AlertEvent, 'fingerprint' | 'activeAt' | 'state'>): string =>
  `${event.fingerprint}:${event.activeAt}:${event.state}`;
