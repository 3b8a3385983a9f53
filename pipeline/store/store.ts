import type { AlertEvent } from '../messages/alert-event.js';
import type { Decision } from '../messages/decision.js';
import type { IngestedBatch } from '../messages/metric-batch.js';
import type { HeatmapReader } from './heatmap.js';

/** A sample as stored, with the agent's tags at ingest time. */
export interface StoredSample {
  /** Event time, milliseconds since the Unix epoch. */
  ts: number;
  agentId: string;
  metric: string;
  value: number;
  labels: Record<string, string>;
  tags: Record<string, string>;
}

export interface SampleQuery {
  agentId?: string;
  metric?: string;
  /** Inclusive lower bound on ts, milliseconds since the Unix epoch. */
  from: number;
  /** Exclusive upper bound on ts. */
  to: number;
  /** Maximum rows, newest first; 1000 when not given. */
  limit?: number;
}

export interface AlertQuery {
  fingerprint?: string;
  agentId?: string;
  from: number;
  to: number;
  limit?: number;
}

/**
 * Outcome of delivering one notification: `delivered`, `failed` after its
 * last attempt, or `rate_limited`. A rate-limited notification was never
 * attempted, because the receiver's rate limit had no free slot within its
 * max_wait.
 */
export type DeliveryOutcome = 'delivered' | 'failed' | 'rate_limited';

/** One attempt sequence to deliver a notification, as stored. */
export interface DeliveryRecord {
  /** Time the outcome was known, milliseconds since the Unix epoch. */
  ts: number;
  idempotencyKey: string;
  fingerprint: string;
  receiver: string;
  channel: string;
  outcome: DeliveryOutcome;
  attempts: number;
  /** Why the last attempt failed; absent when delivered. */
  error?: string;
}

export interface DecisionQuery {
  fingerprint?: string;
  /** Inclusive lower bound on ts, milliseconds since the Unix epoch. */
  from: number;
  /** Exclusive upper bound on ts. */
  to: number;
  /** Maximum rows, newest first; 1000 when not given. */
  limit?: number;
}

/**
 * Where samples, alert transitions and deliveries are kept: QuestDB in the
 * distributed deployment, a DuckDB file in the embedded one.
 *
 * Writes resolve only once the rows are durable in the store, because a
 * sink commits its bus offsets after they resolve. Writing the same rows
 * twice (a replay after a crash) must not duplicate them in query results.
 * The heatmap queries of HeatmapReader are described in heatmap.ts.
 */
export interface Store extends HeatmapReader {
  /** Creates tables when missing. */
  init(): Promise<void>;

  writeSamples(batches: readonly IngestedBatch[]): Promise<void>;
  writeAlerts(events: readonly AlertEvent[]): Promise<void>;
  writeDeliveries(deliveries: readonly DeliveryRecord[]): Promise<void>;
  /** Router and notifier decisions; a replayed decision (same id and ts) is stored once. */
  writeDecisions(decisions: readonly Decision[]): Promise<void>;

  /** Samples matching the query, newest first. */
  querySamples(query: SampleQuery): Promise<StoredSample[]>;
  /** Alert transitions matching the query, newest first. */
  queryAlerts(query: AlertQuery): Promise<AlertEvent[]>;
  /** Decisions matching the query, newest first. */
  queryDecisions(query: DecisionQuery): Promise<Decision[]>;

  close(): Promise<void>;
}
