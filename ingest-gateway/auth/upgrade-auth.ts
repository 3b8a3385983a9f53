import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../pipeline/clock/index.js';
import { LogThrottle } from '../../pipeline/log/log-throttle.js';
import type { Logger } from '../../pipeline/log/logger.js';
import type { RateLimiter } from '../../pipeline/state/rate-limiter.js';
import type { GatewayConfig } from '../config.js';
import type { GatewayCounters } from '../gateway-metrics.js';
import type { ErrorBody } from '../problem.js';
import { rateFor, setRateLimitHeaders } from '../rate-limit/rate-limit.js';
import { bearerTokenOf, checkAccessToken, type TokenRejection, tokenRejection } from './bearer-auth.js';
import type { TokenVerifier } from './tokens.js';

/** The prefix of the WebSocket subprotocol that carries an access token: `bearer.<token>`. */
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.';

/** The outcome of authorizing a WebSocket upgrade request. */
export type UpgradeAuthorization =
  | {
      ok: true;
      /** The token's client id. Absent when `gateway.auth.operator_access` is `open`. */
      clientId?: string;
      /** The token's subject: the operator client's name. Absent when access is `open`. */
      subject?: string;
    }
  | {
      ok: false;
      /** 400, 401, 403 or 429. */
      status: number;
      /** The JSON error body, as the HTTP routes send it. */
      problem: ErrorBody;
      /** Response headers: WWW-Authenticate, or Retry-After and the RateLimit headers. */
      headers: Record<string, string>;
    };

export interface UpgradeAuthOptions {
  config: GatewayConfig;
  verifier: TokenVerifier;
  rateLimiter: RateLimiter;
  counters: GatewayCounters;
  clock: Clock;
  logger: Logger;
}

/** The route label of upgrade rejections in the gateway's counters. */
const ROUTE = 'websocket';

/** Tells a fetch Request from an IncomingMessage by its headers, so Request look-alikes such as Hono's count too. */
function isFetchRequest(request: IncomingMessage | Request): request is Request {
  return typeof (request.headers as Partial<Headers>).get === 'function';
}

/** Reads one request header from either request type. Repeated headers come joined with `, `. */
function headerOf(request: IncomingMessage | Request, name: string): string | undefined {
  if (isFetchRequest(request)) return request.headers.get(name) ?? undefined;
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Returns the token offered as a `bearer.<token>` subprotocol, undefined
 * when none is offered, or a rejection when several are offered or the token
 * has characters that no access token has.
 */
function subprotocolToken(header: string | undefined): { token: string | undefined } | { rejection: TokenRejection } {
  const offered = (header ?? '')
    .split(',')
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  if (offered.length === 0) return { token: undefined };
  if (offered.length > 1) return { rejection: tokenRejection(400, 'invalid_request', 'offer one bearer.<token> subprotocol, not several') };

  const token = offered[0]!.slice(BEARER_SUBPROTOCOL_PREFIX.length);
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) return { rejection: tokenRejection(401, 'invalid_request', 'the bearer.<token> subprotocol does not carry an access token') };
  return { token };
}

/**
 * Builds the check behind GatewaySecurity.authorizeUpgrade: the per-IP limit
 * of the read routes (for an IncomingMessage, whose socket gives the
 * address), then, when operator access is `token`, an access token with the
 * scope from `Sec-WebSocket-Protocol: bearer.<token>` or from
 * `Authorization: Bearer <token>`. A request that uses both is rejected with
 * 400, as RFC 6750 section 2 allows one method per request.
 */
export function upgradeAuthorizer(options: UpgradeAuthOptions): (request: IncomingMessage | Request, scope: string) => Promise<UpgradeAuthorization> {
  const { config, verifier, rateLimiter, counters, logger } = options;
  const rejectionLog = new LogThrottle(options.clock, 10_000);
  const limitedLog = new LogThrottle(options.clock, 10_000);

  const reject = (rejection: TokenRejection): UpgradeAuthorization => {
    counters.authRejected(ROUTE, rejection.error);
    const rejected = rejectionLog.record();
    if (rejected !== undefined) logger.info({ route: ROUTE, error: rejection.error, reason: rejection.description, rejected }, 'rejected a WebSocket upgrade for its access token');
    return { ok: false, status: rejection.status, problem: { error: { code: rejection.error, message: rejection.description } }, headers: { 'WWW-Authenticate': rejection.challenge } };
  };

  const limitByAddress = async (request: IncomingMessage | Request): Promise<UpgradeAuthorization | undefined> => {
    const address = isFetchRequest(request) ? undefined : request.socket?.remoteAddress;
    const rate = rateFor(config.rate_limits, 'read', 'ip');
    if (!config.rate_limits.enabled || address === undefined || !rate) return undefined;

    // The same key as the read routes' per-IP limit, so upgrades and API reads share one budget.
    const key = `read:ip:${address}`;
    const decision = await rateLimiter.consume([{ key, limit: rate.limit, periodMs: rate.periodMs }]);
    if (decision.allowed) return undefined;

    counters.rateLimited('read', 'ip');
    const limited = limitedLog.record();
    if (limited !== undefined) logger.warn({ route: ROUTE, limit: 'ip', key, limited }, 'rate limit exceeded; rejecting the WebSocket upgrade with 429');
    const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1_000));
    const headers = new Headers({ 'Retry-After': String(retryAfter) });
    setRateLimitHeaders(headers, decision.states[0]!);
    const message = `source address ${address} exceeded ${rate.limit} requests per ${rate.periodMs / 1_000} s on WebSocket upgrades and read routes; retry after ${retryAfter} s`;
    return { ok: false, status: 429, problem: { error: { code: 'rate_limited', message } }, headers: Object.fromEntries(headers) };
  };

  return async (request, scope) => {
    const limited = await limitByAddress(request);
    if (limited) return limited;
    if (config.auth.operator_access === 'open') return { ok: true };

    const authorization = headerOf(request, 'authorization');
    const offered = subprotocolToken(headerOf(request, 'sec-websocket-protocol'));
    if ('rejection' in offered) return reject(offered.rejection);
    if (authorization !== undefined && offered.token !== undefined) {
      return reject(tokenRejection(400, 'invalid_request', 'send the access token either as the bearer.<token> subprotocol or in the Authorization header, not both'));
    }

    let token = offered.token;
    if (authorization !== undefined) {
      token = bearerTokenOf(authorization);
      if (token === undefined) return reject(tokenRejection(401, 'invalid_request', 'the Authorization header is not a Bearer token'));
    }
    if (token === undefined) {
      return reject(tokenRejection(401, 'missing_token', 'this WebSocket requires an access token: offer the subprotocol bearer.<token>, or send Authorization: Bearer <token>, with a token from POST /oauth/token'));
    }

    const checked = await checkAccessToken(verifier, token, scope);
    if ('rejection' in checked) return reject(checked.rejection);
    return { ok: true, clientId: checked.principal.clientId, subject: checked.principal.agentId };
  };
}
