import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { every } from 'hono/combine';
import type { Clock } from '../../pipeline/clock/index.js';
import { parseSilenceInput, silenceStatus, silenceToJson } from '../../pipeline/messages/silence.js';
import { ValidationError } from '../../pipeline/messages/validation.js';
import type { SilenceStore } from '../../pipeline/state/silence-store.js';
import type { Store } from '../../pipeline/store/store.js';
import type { GatewayEnv } from '../connection.js';
import { errorResponse } from '../problem.js';

export interface AlertingRoutesDeps {
  silences: SilenceStore;
  /** Read access to the decisions log. Without it, GET /v1/alerts/:fingerprint/decisions responds 503. */
  decisions?: Pick<Store, 'queryDecisions'>;
  clock: Clock;
  /** Middleware of the GET routes: the gateway passes `security.operatorGuard('read')`. */
  readGuards: MiddlewareHandler<GatewayEnv>[];
  /** Middleware of POST and DELETE, which change what is notified: the gateway passes `security.operatorGuard('silences:write')`. */
  writeGuards: MiddlewareHandler<GatewayEnv>[];
}

/** Max POST /v1/silences body size accepted, in bytes. */
const MAX_SILENCE_BODY = 64 * 1024;
const DEFAULT_DECISION_LOOKBACK_MS = 7 * 86_400_000;
const DEFAULT_DECISION_LIMIT = 1_000;
const MAX_DECISIONS = 10_000;
const FINGERPRINT = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the silences API and the route for the decisions of one alert:
 *
 * - `POST /v1/silences` creates a silence from `{ matchers, ends_at,
 *   created_by, comment, starts_at? }` and responds 201 with it.
 * - `GET /v1/silences[?status=active|pending|expired]` lists the silences.
 * - `GET /v1/silences/:id` returns one silence, and `DELETE /v1/silences/:id` expires it.
 * - `GET /v1/alerts/:fingerprint/decisions[?from&to&limit]` returns the
 *   alert's decisions from the store, newest first. They show why the alert
 *   was or was not notified. `from` defaults to 7 days ago and `limit` to
 *   1,000 (max 10,000).
 *
 * ```ts
 * app.route('/', alertingRoutes({ silences, decisions: store, clock, readGuards: [guard], writeGuards: [guard] }));
 * ```
 */
export function alertingRoutes(deps: AlertingRoutesDeps): Hono<GatewayEnv> {
  const { silences, clock } = deps;
  const app = new Hono<GatewayEnv>();
  const readGuard = every(...deps.readGuards);
  const writeGuard = every(...deps.writeGuards);

  // bodyLimit rejects a large body before reading it all into memory.
  const silenceBodyLimit = bodyLimit({ maxSize: MAX_SILENCE_BODY, onError: (c) => errorResponse(c, 413, 'body_too_large', `the body is larger than ${MAX_SILENCE_BODY} bytes`) });

  app.post('/v1/silences', writeGuard, silenceBodyLimit, async (c) => {
    const text = await c.req.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return errorResponse(c, 400, 'invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
    }
    const now = clock.now();
    try {
      const silence = await silences.create(parseSilenceInput(body, now));
      c.header('Location', `/v1/silences/${silence.id}`);
      return c.json(silenceToJson(silence, now), 201);
    } catch (error) {
      if (error instanceof ValidationError) return errorResponse(c, 400, 'invalid_silence', error.message, error.issues);
      throw error;
    }
  });

  app.get('/v1/silences', readGuard, async (c) => {
    const status = c.req.query('status');
    if (status !== undefined && !['active', 'pending', 'expired'].includes(status)) {
      return errorResponse(c, 400, 'invalid_query', `status must be active, pending or expired, found ${JSON.stringify(status)}`);
    }
    const now = clock.now();
    const listed = (await silences.list()).filter((silence) => status === undefined || silenceStatus(silence, now) === status);
    return c.json({ silences: listed.map((silence) => silenceToJson(silence, now)) });
  });

  app.get('/v1/silences/:id', readGuard, async (c) => {
    const silence = await silences.get(c.req.param('id'));
    if (!silence) return errorResponse(c, 404, 'silence_not_found', `no silence with id ${JSON.stringify(c.req.param('id'))}`);
    return c.json(silenceToJson(silence, clock.now()));
  });

  app.delete('/v1/silences/:id', writeGuard, async (c) => {
    const silence = await silences.expire(c.req.param('id'));
    if (!silence) return errorResponse(c, 404, 'silence_not_found', `no silence with id ${JSON.stringify(c.req.param('id'))}`);
    return c.json(silenceToJson(silence, clock.now()));
  });

  app.get('/v1/alerts/:fingerprint/decisions', readGuard, async (c) => {
    const fingerprint = c.req.param('fingerprint');
    if (!FINGERPRINT.test(fingerprint)) return errorResponse(c, 400, 'invalid_fingerprint', `invalid fingerprint ${JSON.stringify(fingerprint.slice(0, 140))}`);
    if (!deps.decisions) return errorResponse(c, 503, 'decisions_unavailable', 'this gateway has no store to read decisions from');

    const now = clock.now();
    const from = parseTimeParameter(c.req.query('from'), now - DEFAULT_DECISION_LOOKBACK_MS);
    const to = parseTimeParameter(c.req.query('to'), now + 60_000);
    const limit = c.req.query('limit') === undefined ? DEFAULT_DECISION_LIMIT : Number(c.req.query('limit'));
    if (from === undefined || to === undefined) return errorResponse(c, 400, 'invalid_query', 'from and to must be ISO 8601 times or milliseconds since the epoch');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DECISIONS) return errorResponse(c, 400, 'invalid_query', `limit must be an integer from 1 to ${MAX_DECISIONS}`);

    const decisions = await deps.decisions.queryDecisions({ fingerprint, from, to, limit });
    return c.json({
      fingerprint,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      decisions: decisions.map(({ version: _version, ...decision }) => ({ ...decision, time: new Date(decision.ts).toISOString() })),
    });
  });

  return app;
}

function parseTimeParameter(text: string | undefined, fallback: number): number | undefined {
  if (text === undefined) return fallback;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
