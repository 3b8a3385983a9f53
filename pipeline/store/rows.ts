import type { AlertState } from '../messages/alert-event.js';
import type { Decision, DecisionReason } from '../messages/decision.js';
import type { DeliveryOutcome, DeliveryRecord } from './store.js';

/** A result row of either store, keyed by column name. */
export type Row = Record<string, unknown>;

const DECISION_OPTIONAL_COLUMNS: ReadonlyArray<[field: keyof Decision, column: string]> = [
  ['receiver', 'receiver'],
  ['groupKey', 'group_key'],
  ['notificationKey', 'notification_key'],
  ['silenceId', 'silence_id'],
  ['blackoutWindow', 'blackout_window'],
  ['inhibitedBy', 'inhibited_by'],
  ['detail', 'detail'],
];

/** Builds a delivery record from a row of the deliveries table; both stores name the columns alike. */
export function deliveryFromRow(row: Row, ts: number): DeliveryRecord {
  const record: DeliveryRecord = {
    ts,
    idempotencyKey: row.idempotency_key as string,
    fingerprint: row.fingerprint as string,
    receiver: row.receiver as string,
    channel: row.channel as string,
    outcome: row.outcome as DeliveryOutcome,
    attempts: row.attempts as number,
  };
  if (row.error !== null && row.error !== undefined) record.error = row.error as string;
  return record;
}

/** Builds a decision from a row of the decisions table, leaving out the optional fields whose columns are null. */
export function decisionFromRow(row: Row, ts: number): Decision {
  const decision: Decision = {
    version: 1,
    id: row.id as string,
    ts,
    fingerprint: row.fingerprint as string,
    alertKey: row.alert_key as string,
    state: row.state as AlertState,
    rule: row.rule as string,
    agentId: row.agent as string,
    reason: row.reason as DecisionReason,
  };
  for (const [field, column] of DECISION_OPTIONAL_COLUMNS) {
    const value = row[column];
    if (value !== null && value !== undefined) (decision as unknown as Record<string, unknown>)[field] = String(value);
  }
  return decision;
}
