import { z } from 'zod';
import { duration } from '../pipeline/config/fields.js';

/**
 * The `dashboard:` section of `fleetpulse run`. Where the dashboard runs in
 * the same process as the gateway role, it is served on the gateway's port
 * under /dashboard/ and `host` and `port` are not used.
 */
export const dashboardConfigSchema = z
  .strictObject({
    /** Address to listen on when no gateway role runs in this process. Defaults to gateway.host. */
    host: z.string().min(1).optional(),
    /** HTTPS port when no gateway role runs in this process. 0 picks a free port. */
    port: z.number().int().min(0).max(65_535).default(8444),
    /** Interval at which the batched changes are sent to the pages. */
    push_interval: duration({ min: 50, max: 5_000 }).prefault('250ms'),
    /** Interval at which a page polls while its WebSocket is down. */
    poll_interval: duration({ min: 250, max: 60_000 }).prefault('2s'),
    /** Report interval assumed for an agent until two of its batches show its own. */
    report_interval: duration({ min: 100 }).prefault('10s'),
    /** Number of report intervals without a batch after which an agent is late. */
    late_intervals: z.number().min(1).max(100).default(2),
    /** Silence after which an agent that no dead-man group matches counts as silent. */
    silent_after: duration({ min: 100 }).prefault('1m'),
    /** Points kept per sparkline (per agent and metric). */
    sparkline_points: z.number().int().min(2).max(500).default(30),
    /** Silence after which an agent leaves the dashboard until it reports again. */
    forget_after: duration({ min: 1_000 }).prefault('24h'),
    /** Time span of the metrics topic that a starting dashboard reads back, to fill the sparklines. */
    metrics_replay: duration({ min: 0 }).prefault('5m'),
    /** Time span of the alerts topic that a starting dashboard reads back, to find the alerts still firing. */
    alerts_replay: duration({ min: 0 }).prefault('24h'),
    /** Maximum age of a WebSocket. The server then closes it, so the page reconnects and its token is checked again. */
    socket_max_age: duration({ min: 1_000 }).prefault('15m'),
    /**
     * Suffix of the dashboard's consumer groups. Each dashboard process must
     * read every partition, so replicas in the distributed deployment need
     * distinct values, such as the host name.
     */
    instance: z
      .string()
      .refine((text) => /^[a-zA-Z0-9._-]*$/.test(text), 'expected letters, digits, dots, underscores and hyphens, such as the host name')
      .default(''),
  })
  .prefault({});

export type DashboardConfig = z.output<typeof dashboardConfigSchema>;
