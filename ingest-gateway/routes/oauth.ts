import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { every } from 'hono/combine';
import type { Logger } from '../../pipeline/log/logger.js';
import type { CredentialRecord, CredentialStore } from '../../pipeline/state/credential-store.js';
import { hashSecret, verifySecret } from '../auth/secret-hash.js';
import type { SigningKeyRing } from '../auth/key-ring.js';
import type { TokenIssuer } from '../auth/tokens.js';
import type { GatewayEnv } from '../connection.js';
import type { GatewayCounters } from '../gateway-metrics.js';

export interface OAuthRouteDeps {
  credentials: CredentialStore;
  issuer: TokenIssuer;
  keys: SigningKeyRing;
  counters: GatewayCounters;
  logger: Logger;
  /** Middleware that runs before the token endpoint reads the body: the client certificate check and the per-IP rate limit. */
  guards: MiddlewareHandler<GatewayEnv>[];
  /** Middleware of GET /.well-known/jwks.json: the per-IP rate limit. */
  readGuards: MiddlewareHandler<GatewayEnv>[];
}

/** Error codes of RFC 6749 section 5.2 that this endpoint uses. */
type OAuthError = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

/** Max token request body in bytes. A valid request is a few hundred bytes. */
const MAX_TOKEN_REQUEST_BYTES = 8 * 1024;

/** Compared against when the client id is unknown, so that an unknown id takes as long as a wrong secret. */
const placeholderHash = hashSecret('fleetpulse placeholder secret');

function oauthError(c: Context, counters: GatewayCounters, error: OAuthError, description: string): Response {
  counters.tokenError(error);
  c.header('Cache-Control', 'no-store');
  if (error === 'invalid_client') {
    c.header('WWW-Authenticate', 'Basic realm="fleetpulse", charset="UTF-8"');
    return c.json({ error, error_description: description }, 401);
  }
  return c.json({ error, error_description: description }, 400);
}

/**
 * Reads the client id and secret from HTTP Basic (RFC 6749 section 2.3.1:
 * form-urlencoded, then base64) or from the body. Returns a problem for
 * malformed credentials or credentials in both places, and undefined when
 * the request has none.
 */
function clientCredentials(c: Context, form: URLSearchParams): { clientId: string; secret: string } | { problem: OAuthError; description: string } | undefined {
  const header = c.req.header('authorization');
  const inBody = form.has('client_id') || form.has('client_secret');
  if (header !== undefined) {
    if (inBody) return { problem: 'invalid_request', description: 'send the client credentials either in the Authorization header or in the body, not both' };
    const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
    const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 0) return { problem: 'invalid_client', description: 'the Authorization header is not HTTP Basic with client_id:client_secret' };
    try {
      return { clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
    } catch {
      return { problem: 'invalid_client', description: 'the Basic credentials are not valid form-urlencoded text' };
    }
  }
  if (!inBody) return undefined;
  return { clientId: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '' };
}

/**
 * Builds the OAuth2 routes:
 *
 * - `POST /oauth/token`: the client credentials grant (RFC 6749 section
 *   4.4), with errors in the JSON format of section 5.2.
 * - `GET /.well-known/jwks.json`: the public keys that verify access tokens.
 *
 * ```sh
 * curl --cacert data/tls/ca.crt -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials https://127.0.0.1:8443/oauth/token
 * ```
 */
export function oauthRoutes(deps: OAuthRouteDeps): Hono<GatewayEnv> {
  const { credentials, issuer, keys, counters, logger } = deps;
  const app = new Hono<GatewayEnv>();

  app.get('/.well-known/jwks.json', every(...deps.readGuards), (c) => {
    c.header('Cache-Control', 'public, max-age=60');
    return c.json(keys.jwks());
  });

  app.post(
    '/oauth/token',
    every(...deps.guards),
    bodyLimit({ maxSize: MAX_TOKEN_REQUEST_BYTES, onError: (c) => oauthError(c, counters, 'invalid_request', `the request body exceeds ${MAX_TOKEN_REQUEST_BYTES} bytes`) }),
    async (c) => {
      const contentType = c.req.header('content-type') ?? '';
      if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType)) {
        return oauthError(c, counters, 'invalid_request', `expected Content-Type: application/x-www-form-urlencoded, found ${contentType || 'none'}`);
      }
      const form = new URLSearchParams(await c.req.text());
      for (const name of new Set(form.keys())) {
        if (form.getAll(name).length > 1) return oauthError(c, counters, 'invalid_request', `the parameter ${name} is repeated`);
      }

      const grantType = form.get('grant_type');
      if (!grantType) return oauthError(c, counters, 'invalid_request', 'the grant_type parameter is missing; expected client_credentials');
      if (grantType !== 'client_credentials') return oauthError(c, counters, 'unsupported_grant_type', `grant_type ${grantType} is not supported; expected client_credentials`);

      const presented = clientCredentials(c, form);
      if (!presented) return oauthError(c, counters, 'invalid_client', 'client authentication is missing: use HTTP Basic or client_id and client_secret in the body');
      if ('problem' in presented) return oauthError(c, counters, presented.problem, presented.description);

      const credential = await credentials.get(presented.clientId);
      const secretMatches = await verifySecret(presented.secret, credential?.secretHash ?? (await placeholderHash));
      let failure: string | undefined;
      if (!credential) failure = 'unknown client id';
      else if (!secretMatches) failure = 'wrong client secret';
      else if (credential.revokedAt !== undefined) failure = 'credentials revoked';
      if (failure !== undefined || !credential) {
        logger.warn({ clientId: presented.clientId.slice(0, 64), reason: failure }, 'client authentication failed at the token endpoint');
        return oauthError(c, counters, 'invalid_client', 'client authentication failed');
      }

      const certificate = c.get('clientCertificate');
      if (certificate && certificate.commonName !== credential.agentId) {
        logger.warn(
          { clientId: credential.clientId, agentId: credential.agentId, certificateAgentId: certificate.commonName, certificateFingerprint: certificate.fingerprint },
          'client certificate does not match the credentials',
        );
        return oauthError(c, counters, 'invalid_client', `the client certificate is for agent ${certificate.commonName}, but these credentials are for agent ${credential.agentId}`);
      }

      const scopes = grantedScopes(form.get('scope'), credential);
      if ('invalid' in scopes) return oauthError(c, counters, 'invalid_scope', `scope ${scopes.invalid} is not granted to this client; it may request ${credential.scopes.join(' ')}`);

      const { token, tokenId, expiresAt, expiresIn } = await issuer.issue(credential, scopes.granted);
      counters.tokenIssued();
      logger.info({ agentId: credential.agentId, clientId: credential.clientId, jti: tokenId, expiresAt: new Date(expiresAt).toISOString() }, 'issued an access token');
      c.header('Cache-Control', 'no-store');
      c.header('Pragma', 'no-cache');
      return c.json({
        access_token: token,
        token_type: 'Bearer',
        expires_in: expiresIn,
        scope: scopes.granted.join(' '),
      });
    },
  );

  return app;
}

/** Returns the requested scopes, or all the credential's scopes when the request names none (RFC 6749 section 3.3). */
function grantedScopes(requested: string | null, credential: CredentialRecord): { granted: string[] } | { invalid: string } {
  if (requested === null || requested.trim() === '') return { granted: credential.scopes };
  const granted = [...new Set(requested.split(' ').filter(Boolean))];
  const invalid = granted.find((scope) => !credential.scopes.includes(scope));
  return invalid === undefined ? { granted } : { invalid };
}
