import { z } from 'zod';
import { duration } from '../../pipeline/config/fields.js';

const httpUrl = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/' && !url.search && !url.username;
    } catch {
      return false;
    }
  },
  { message: 'expected an http:// or https:// URL with host and port only, such as http://127.0.0.1:9000' },
);

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// connection string, such as postgres://admin:quest@127.0.0.1:8812/qdb');

/**
 * The QuestDB store: ILP over HTTP to write, the PostgreSQL wire protocol to
 * create tables and query.
 *
 * ```yaml
 * questdb:
 *   http: http://127.0.0.1:9000
 *   pg: postgres://admin:quest@127.0.0.1:8812/qdb
 *   request_timeout: 10s
 *   retry: { max_attempts: 5, initial_backoff: 100ms, max_backoff: 5s }
 * ```
 */
export const questdbConfigSchema = z
  .strictObject({
    /** Base URL of QuestDB's HTTP server, which takes ILP on /write. */
    http: httpUrl.default('http://127.0.0.1:9000'),
    /** Connection string of QuestDB's PostgreSQL wire endpoint; it contains the password, so it is never logged. */
    pg: postgresUrl.default('postgres://admin:quest@127.0.0.1:8812/qdb'),
    /** Prepended to the table names (metrics, alerts, deliveries), so tests and pipelines can share a server. */
    table_prefix: z
      .string()
      .regex(/^([a-zA-Z_][a-zA-Z0-9_]*)?$/, 'expected letters, digits and underscores, not starting with a digit')
      .max(64)
      .default(''),
    /** Time one ILP request or SQL query may take before it counts as failed. */
    request_timeout: duration({ min: 1 }).prefault('10s'),
    retry: z
      .strictObject({
        /** Attempts per ILP request, the first included. */
        max_attempts: z.number().int().min(1).max(100).default(5),
        /** Ceiling of the first backoff; the ceiling doubles per retry, and the wait is uniform below it. */
        initial_backoff: duration({ min: 1 }).prefault('100ms'),
        max_backoff: duration({ min: 1 }).prefault('5s'),
      })
      .prefault({}),
    /** Rows per ILP request; a larger write is split into several requests. */
    max_rows_per_request: z.number().int().min(1).max(1_000_000).default(50_000),
    /** Connections in the query pool. */
    pool_size: z.number().int().min(1).max(64).default(4),
  })
  .prefault({});

export type QuestDBConfig = z.output<typeof questdbConfigSchema>;
