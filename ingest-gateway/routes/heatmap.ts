import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import type { Clock } from '../../pipeline/clock/index.js';
import { bucketBounds, HeatmapQueryError, type HeatmapReader, resolveLadder } from '../../pipeline/store/heatmap.js';
import type { GatewayEnv } from '../connection.js';
import { errorResponse } from '../problem.js';
import {
  CELL_PARAMETERS,
  checkParameterNames,
  DEFAULT_CELL_LIMIT,
  HEATMAP_PARAMETERS,
  MAX_CELL_LIMIT,
  parseBucketTime,
  parseInteger,
  ParameterError,
  parseRange,
  parseSelection,
  type QueryParameters,
} from './heatmap-parameters.js';

export interface HeatmapRoutesDeps {
  /** Read access to the store. Without it, both routes respond 503. */
  store?: HeatmapReader;
  clock: Clock;
  /** Middleware of both routes, such as the operator guard. */
  guards: MiddlewareHandler<GatewayEnv>[];
  /** Maximum outlier marks in one response, MAX_MARKS by default. */
  maxMarks?: number;
}

/** Default maximum of outlier marks in one response. `marksTruncated` is true when more fired. */
export const MAX_MARKS = 1_000;

/**
 * The latency heatmap of the dashboard: sample counts of one metric per
 * time bucket and logarithmic value bucket, and the agents of one cell.
 *
 * `GET /v1/heatmap?metric=latency_ms&from=…&to=…&step=1m[&filter=…][&bucketsPerDecade=10][&min=0.001]`
 *
 * - `metric` (required): the metric to count.
 * - `from`, `to`: RFC 3339 (`2026-03-01T12:00:00Z`) or milliseconds since
 *   the Unix epoch; `to` defaults to now and `from` to an hour before `to`.
 *   They are widened to whole time buckets: from down, to up, to multiples
 *   of `step` since the Unix epoch.
 * - `step`: width of a time bucket as a duration (`30s`, `1m`, `1h`), 1m by
 *   default. A step that makes more than 2,000 time buckets is rejected
 *   with 400 `too_many_buckets`.
 * - `filter`: comma-separated `name=value` matchers: `env=prod` or
 *   `tag.env=prod` on agent tags, `label.target=api` on series labels,
 *   `agent=web-1` on the agent id. Repeating `filter` adds matchers.
 * - `bucketsPerDecade` (1 to 100, default 10) and `min` (default 0.001):
 *   value bucket k covers [10^(k/n), 10^((k+1)/n)). The lowest bucket, the
 *   one containing `min`, has `lower: null` and takes every smaller value,
 *   zero and negative values included.
 *
 * Response 200, times in ms since the Unix epoch:
 *
 * ```json
 * {
 *   "metric": "latency_ms", "from": 1772323200000, "to": 1772409600000, "step": 60000,
 *   "bucketsPerDecade": 10, "min": 0.001,
 *   "buckets": [{ "index": 20, "lower": 100, "upper": 125.89254117941675 }],
 *   "cells": [{ "time": 1772323200000, "bucket": 20, "count": 17 }],
 *   "total": 17,
 *   "marks": [{ "ts": 1772323212000, "agentId": "web-1", "value": 4.2, "rule": "LatencyOutlier" }],
 *   "marksTruncated": false
 * }
 * ```
 *
 * `buckets` runs from the lowest to the highest non-empty value bucket,
 * ascending. `cells` lists the non-empty cells by time, then bucket. `marks`
 * are the `firing` transitions of alerts whose rule calls zscore or
 * robust_zscore on the metric, for agents that match the filter, oldest
 * first and at most `maxMarks` (1,000 by default). A mark's `value` is the
 * alert's value, such as the z-score.
 *
 * `GET /v1/heatmap/cell?metric=…&step=…&time=…&bucket=…[&filter=…][&limit=100]`
 * lists the agents with samples in one cell: `time` is the cell's `time`,
 * `bucket` its bucket index, and metric, step, filter, bucketsPerDecade and
 * min are those of the heatmap. from and to are ignored, so the dashboard
 * can append time and bucket to the heatmap's query string. `limit` is 1 to
 * 1,000, 100 by default.
 *
 * ```json
 * {
 *   "metric": "latency_ms", "from": 1772323200000, "to": 1772323260000,
 *   "bucket": { "index": 20, "lower": 100, "upper": 125.89254117941675 },
 *   "agents": [{ "agentId": "web-1", "count": 3 }],
 *   "truncated": false
 * }
 * ```
 *
 * Agents come most samples first, then by id; `truncated` is true when
 * more agents than `limit` have samples in the cell.
 *
 * Invalid or unknown parameters are rejected with 400 and the code
 * `invalid_query` (or `too_many_buckets`) and one issue whose `path` names the parameter.
 *
 * ```ts
 * app.route('/', heatmapRoutes({ store, clock, guards: [security.operatorGuard('read')] }));
 * ```
 */
export function heatmapRoutes(deps: HeatmapRoutesDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const guard = every(...deps.guards);
  const maxMarks = deps.maxMarks ?? MAX_MARKS;

  app.get('/v1/heatmap', guard, (c) =>
    respond(c, deps.store, HEATMAP_PARAMETERS, async (store, query) => {
      const selection = parseSelection(query);
      const { from, to } = parseRange(query, selection.step, deps.clock.now());
      const { metric, filter } = selection;

      const heatmap = await store.queryHeatmap({ ...selection, from, to });
      const marks = await store.queryOutlierMarks({ metric, from, to, filter, limit: maxMarks + 1 });
      return { ...heatmap, marks: marks.slice(0, maxMarks), marksTruncated: marks.length > maxMarks };
    }),
  );

  app.get('/v1/heatmap/cell', guard, (c) =>
    respond(c, deps.store, CELL_PARAMETERS, async (store, query) => {
      const { metric, step, bucketsPerDecade, min, filter } = parseSelection(query);
      const from = parseBucketTime(query, step);
      if (query.get('bucket') === undefined) throw new ParameterError('bucket', 'bucket is missing: give the value bucket index of the cell, the `bucket` of a heatmap cell');
      const bucket = parseInteger(query, 'bucket', 0, -999_999, 999_999);
      const limit = parseInteger(query, 'limit', DEFAULT_CELL_LIMIT, 1, MAX_CELL_LIMIT);

      const to = from + step;
      const agents = await store.queryHeatmapCell({ metric, from, to, bucket, bucketsPerDecade, min, filter, limit: limit + 1 });
      return {
        metric,
        from,
        to,
        bucket: bucketBounds(bucket, resolveLadder({ bucketsPerDecade, min })),
        agents: agents.slice(0, limit),
        truncated: agents.length > limit,
      };
    }),
  );

  return app;
}

/** Checks the parameter names, runs a handler and turns parameter and query errors into 400 responses. */
async function respond(
  c: Context<GatewayEnv>,
  store: HeatmapReader | undefined,
  known: readonly string[],
  handle: (store: HeatmapReader, query: QueryParameters) => Promise<object>,
): Promise<Response> {
  if (!store) return errorResponse(c, 503, 'heatmap_unavailable', 'this gateway has no store to read the heatmap from');
  const query: QueryParameters = { get: (name) => c.req.query(name), all: (name) => c.req.queries(name) ?? [] };
  try {
    checkParameterNames(Object.keys(c.req.queries()), known);
    return c.json(await handle(store, query));
  } catch (error) {
    if (error instanceof ParameterError) return errorResponse(c, 400, error.code, error.message, [{ path: error.parameter, message: error.message }]);
    if (error instanceof HeatmapQueryError) {
      const parameter = error.field.startsWith('filter') ? 'filter' : error.field;
      return errorResponse(c, 400, 'invalid_query', error.message, [{ path: parameter, message: error.message }]);
    }
    throw error;
  }
}
