import type { DeliveryRecord } from '../pipeline/store/store.js';

export interface DeliveryQuery {
  idempotencyKey?: string;
  fingerprint?: string;
  /** Inclusive lower bound on ts, milliseconds since the Unix epoch. */
  from: number;
  /** Exclusive upper bound on ts. */
  to: number;
  /** Maximum rows, newest first; 1000 when not given. */
  limit?: number;
}

/**
 * Reading delivery records back. Both stores implement it; it sits here
 * rather than on `Store` until the dashboard or the suppression log needs it.
 */
export interface DeliveryReader {
  /** Delivery records matching the query, newest first. */
  queryDeliveries(query: DeliveryQuery): Promise<DeliveryRecord[]>;
}

export const DEFAULT_QUERY_LIMIT = 1_000;

/** Checks the bounds every query takes and returns the row limit to use. */
export function checkQueryBounds(query: { from: number; to: number; limit?: number }): number {
  if (!Number.isFinite(query.from) || !Number.isFinite(query.to)) {
    throw new RangeError(`query bounds must be finite milliseconds since the Unix epoch, found from=${query.from} to=${query.to}`);
  }
  const limit = query.limit ?? DEFAULT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`query limit must be a positive integer, found ${limit}`);
  }
  return limit;
}
