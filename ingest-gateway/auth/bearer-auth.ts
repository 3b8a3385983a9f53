import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../../pipeline/log/logger.js';
import { LogThrottle } from '../../pipeline/log/log-throttle.js';
import type { Clock } from '../../pipeline/clock/index.js';
import type { GatewayEnv } from '../connection.js';
import type { GatewayCounters } from '../gateway-metrics.js';
import { errorResponse } from '../problem.js';
import { InvalidTokenError, type Principal, type TokenVerifier } from './tokens.js';

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

/** Replaces the characters that an RFC 6750 error_description must not contain. It allows printable ASCII except `"` and `\`. */
function quotable(text: string): string {
  return text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
}

/** An access token that was not accepted: the response status, the RFC 6750 error code and the WWW-Authenticate challenge. */
export interface TokenRejection {
  status: 400 | 401 | 403;
  error: 'missing_token' | 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  description: string;
  challenge: string;
}

/**
 * Builds a rejection with its `WWW-Authenticate: Bearer` challenge. A missing
 * token gets a challenge without an error code, as RFC 6750 section 3.1
 * recommends for requests without authentication.
 */
export function tokenRejection(status: TokenRejection['status'], error: TokenRejection['error'], description: string, scope?: string): TokenRejection {
  if (error === 'missing_token') return { status, error, description, challenge: 'Bearer' };
  const scopeParameter = scope === undefined ? '' : `, scope="${scope}"`;
  return { status, error, description, challenge: `Bearer error="${error}", error_description="${quotable(description)}"${scopeParameter}` };
}

/** Returns the token of an `Authorization: Bearer <token>` header value, or undefined when the value is not a Bearer token. */
export function bearerTokenOf(header: string): string | undefined {
  return /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header)?.[1];
}

/**
 * Verifies an access token and checks that it has `scope`. Errors other
 * than an invalid token, such as a failed reread of the key store, are
 * raised.
 */
export async function checkAccessToken(verifier: TokenVerifier, token: string, scope: string): Promise<{ principal: Principal } | { rejection: TokenRejection }> {
  let principal;
  try {
    principal = await verifier.verify(token);
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    return { rejection: tokenRejection(401, 'invalid_token', error.message) };
  }

  if (!principal.scopes.has(scope)) return { rejection: tokenRejection(403, 'insufficient_scope', `the token lacks the scope ${scope}; request a token with credentials created with --scope ${scope}`, scope) };
  return { principal };
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

  const reject = (c: Context, rejection: TokenRejection): Response => {
    counters.authRejected(route, rejection.error);
    const rejected = rejectionLog.record();
    if (rejected !== undefined) logger.info({ route, error: rejection.error, reason: rejection.description, rejected }, 'rejected a request for its access token');
    c.header('WWW-Authenticate', rejection.challenge);
    c.header('Connection', 'close');
    return errorResponse(c, rejection.status, rejection.error, rejection.description);
  };

  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) return reject(c, tokenRejection(401, 'missing_token', 'this route requires an access token: send Authorization: Bearer <token> from POST /oauth/token'));

    const token = bearerTokenOf(header);
    if (token === undefined) return reject(c, tokenRejection(401, 'invalid_request', 'the Authorization header is not a Bearer token'));

    const checked = await checkAccessToken(verifier, token, scope);
    if ('rejection' in checked) return reject(c, checked.rejection);
    const { principal } = checked;

    const certificate = c.get('clientCertificate');
    if (certificate && certificate.commonName !== principal.agentId) {
      const description = `the client certificate is for agent ${certificate.commonName} but the token is for agent ${principal.agentId}`;
      counters.authRejected(route, 'certificate_token_mismatch');
      logger.warn(
        { route, certificateAgentId: certificate.commonName, certificateFingerprint: certificate.fingerprint, tokenAgentId: principal.agentId, tokenId: principal.tokenId },
        'client certificate and access token name different agents',
      );
      c.header('Connection', 'close');
      return errorResponse(c, 403, 'agent_mismatch', description);
    }

    c.set('principal', principal);
    return next();
  };
}
