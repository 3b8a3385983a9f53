import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../../pipeline/log/logger.js';
import { LogThrottle } from '../../pipeline/log/log-throttle.js';
import type { Clock } from '../../pipeline/clock/index.js';
import type { GatewayEnv } from '../connection.js';
import type { GatewayCounters } from '../gateway-metrics.js';
import { errorResponse } from '../problem.js';
import { InvalidTokenError, type TokenVerifier } from './tokens.js';

export interface BearerAuthOptions {
  verifier: TokenVerifier;
  /** The scope every request on this route needs, such as metrics:write. */
  scope: string;
  /** Route name for the counters. */
  route: string;
  counters: GatewayCounters;
  clock: Clock;
  logger: Logger;
}

/** Characters allowed in an RFC 6750 error_description: printable ASCII except `"` and `\`. */
function quotable(text: string): string {
  return text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
}

/**
 * Requires `Authorization: Bearer <access token>` (RFC 6750) with `scope`,
 * and stores the token's principal as `principal`. When a client
 * certificate was verified, its CN must be the token's subject.
 *
 * - no token: 401 with `WWW-Authenticate: Bearer`;
 * - an invalid, expired, not yet valid or revoked token: 401 with
 *   `WWW-Authenticate: Bearer error="invalid_token", error_description="..."`;
 * - a token without the scope: 403 with error="insufficient_scope";
 * - a certificate CN other than the token's subject: 403.
 *
 * Every rejection closes the connection, so the request body is never read.
 *
 * ```ts
 * app.post('/v1/metrics', bearerAuth({ verifier, scope: 'metrics:write', route: 'ingest', counters, clock, logger }), handler);
 * ```
 */
export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler<GatewayEnv> {
  const { verifier, scope, route, counters, logger } = options;
  const rejectionLog = new LogThrottle(options.clock, 10_000);

  const reject = (c: Context, status: ContentfulStatusCode, error: string, description: string, challenge: string): Response => {
    counters.authRejected(route, error);
    const rejected = rejectionLog.record();
    if (rejected !== undefined) logger.info({ route, error, reason: description, rejected }, 'rejected a request for its access token');
    c.header('WWW-Authenticate', challenge);
    c.header('Connection', 'close');
    return errorResponse(c, status, error, description);
  };

  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) return reject(c, 401, 'missing_token', 'this route requires an access token: send Authorization: Bearer <token> from POST /oauth/token', 'Bearer');

    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match) {
      const description = 'the Authorization header is not a Bearer token';
      return reject(c, 401, 'invalid_request', description, `Bearer error="invalid_request", error_description="${description}"`);
    }

    let principal;
    try {
      principal = await verifier.verify(match[1]!);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      return reject(c, 401, 'invalid_token', error.message, `Bearer error="invalid_token", error_description="${quotable(error.message)}"`);
    }

    if (!principal.scopes.has(scope)) {
      const description = `the token lacks the scope ${scope}`;
      return reject(c, 403, 'insufficient_scope', description, `Bearer error="insufficient_scope", error_description="${description}", scope="${scope}"`);
    }

    const certificate = c.get('clientCertificate');
    if (certificate && certificate.commonName !== principal.agentId) {
      const description = `the client certificate is for agent ${certificate.commonName} but the token is for agent ${principal.agentId}`;
      counters.authRejected(route, 'certificate_token_mismatch');
      logger.warn({ route, certificateAgentId: certificate.commonName, tokenAgentId: principal.agentId, tokenId: principal.tokenId }, 'client certificate and access token name different agents');
      c.header('Connection', 'close');
      return errorResponse(c, 403, 'agent_mismatch', description);
    }

    c.set('principal', principal);
    return next();
  };
}
