import type { Context, MiddlewareHandler } from 'hono';
import type { Clock } from '../../pipeline/clock/index.js';
import { LogThrottle } from '../../pipeline/log/log-throttle.js';
import type { Logger } from '../../pipeline/log/logger.js';
import type { RateLimit, RateLimiter, RateLimitState } from '../../pipeline/state/rate-limiter.js';
import type { GatewayConfig, Rate, RateLimitedRoute } from '../config.js';
import { clientAddress, type GatewayEnv } from '../connection.js';
import type { GatewayCounters } from '../gateway-metrics.js';
import { errorResponse } from '../problem.js';

export interface RateLimitOptions {
  limiter: RateLimiter;
  config: GatewayConfig['rate_limits'];
  route: RateLimitedRoute;
  /** `ip` counts requests by source address. `agent` counts them by the token's subject, so it must run after bearerAuth. */
  by: 'ip' | 'agent';
  counters: GatewayCounters;
  clock: Clock;
  logger: Logger;
}

/** Returns the rate that applies: the agent group's own rate for the route when configured, else the route's. */
export function rateFor(config: GatewayConfig['rate_limits'], route: RateLimitedRoute, by: 'ip' | 'agent', group?: string): Rate | null {
  if (by === 'agent' && group !== undefined) {
    const groupRates = config.groups[group];
    if (groupRates && route in groupRates) return groupRates[route] ?? null;
  }
  return by === 'agent' ? config.routes[route].per_agent : config.routes[route].per_ip;
}

/** Picks the state closest to exhaustion, which the headers report when several limits apply. */
function tightest(states: RateLimitState[]): RateLimitState {
  return states.reduce((best, state) => (state.remaining < best.remaining || (state.remaining === best.remaining && state.resetMs > best.resetMs) ? state : best));
}

/**
 * Sets the rate limit headers of draft-ietf-httpapi-ratelimit-headers-06:
 * RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (seconds until the
 * whole limit is available again) and RateLimit-Policy (`LIMIT;w=SECONDS`).
 */
export function setRateLimitHeaders(headers: Headers, state: RateLimitState): void {
  headers.set('RateLimit-Limit', String(state.limit));
  headers.set('RateLimit-Remaining', String(state.remaining));
  headers.set('RateLimit-Reset', String(Math.ceil(state.resetMs / 1_000)));
  headers.set('RateLimit-Policy', `${state.limit};w=${Math.ceil(state.periodMs / 1_000)}`);
}

/**
 * Counts the request against the route's limit for its source IP address or
 * its agent, and responds 429 Too Many Requests with Retry-After (whole
 * seconds) and the RateLimit headers once the limit is exhausted. The 429
 * closes the connection, so the request body is never read. Allowed
 * responses carry the RateLimit headers too.
 *
 * The limit of an agent is its group's (`rate_limits.groups`) when set,
 * otherwise the route's `per_agent`.
 *
 * ```ts
 * app.post('/v1/metrics', rateLimit({ ...deps, route: 'ingest', by: 'ip' }), bearerAuth(...), rateLimit({ ...deps, route: 'ingest', by: 'agent' }), handler);
 * ```
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<GatewayEnv> {
  const { limiter, config, route, by, counters, logger } = options;
  const limitedLog = new LogThrottle(options.clock, 10_000);

  const describe = (c: Context<GatewayEnv>): { key: string; rate: Rate | null; who: string } => {
    if (by === 'ip') {
      const address = clientAddress(c);
      return { key: `${route}:ip:${address}`, rate: rateFor(config, route, 'ip'), who: `source address ${address}` };
    }
    const principal = c.get('principal');
    return { key: `${route}:agent:${principal.agentId}`, rate: rateFor(config, route, 'agent', principal.group), who: `agent ${principal.agentId}` };
  };

  return async (c, next) => {
    if (!config.enabled) return next();
    const { key, rate, who } = describe(c);
    if (!rate) return next();

    const limit: RateLimit = { key, limit: rate.limit, periodMs: rate.periodMs };
    const decision = await limiter.consume([limit]);
    const state = tightest(decision.states);

    if (!decision.allowed) {
      counters.rateLimited(route, by);
      const limited = limitedLog.record();
      if (limited !== undefined) logger.warn({ route, limit: by, key, limited }, 'rate limit exceeded; responding 429');

      const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1_000));
      const response = errorResponse(
        c,
        429,
        'rate_limited',
        `${who} exceeded ${rate.limit} requests per ${rate.periodMs / 1_000} s on ${c.req.method} ${c.req.path}; retry after ${retryAfter} s`,
      );
      setRateLimitHeaders(response.headers, state);
      response.headers.set('Retry-After', String(retryAfter));
      response.headers.set('Connection', 'close');
      return response;
    }

    await next();
    // A limit that runs later in the chain (the per-agent one after the per-IP one) sets its headers
    // first, on the way back. The state with fewer remaining requests wins.
    const laterRemaining = Number(c.res.headers.get('RateLimit-Remaining') ?? Number.POSITIVE_INFINITY);
    if (state.remaining <= laterRemaining) setRateLimitHeaders(c.res.headers, state);
  };
}
