import type { Clock } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { GatewayHttpClient } from './http-client.js';

/** A source of access tokens for the gateway's Authorization header. */
export interface AccessTokenSource {
  /** Returns a valid access token, requesting a new one when none is cached or renewal is due. */
  token(): Promise<string>;
  /** Drops `token` after the gateway rejected it with 401, so that the next call requests a new one. */
  invalidate(token: string): void;
}

/** Raised when the token endpoint does not issue a token. The message contains the OAuth2 error and description. */
export class TokenRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TokenRequestError';
  }
}

export interface TokenClientOptions {
  /** The gateway's POST /oauth/token URL. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  agentId: string;
  http: GatewayHttpClient;
  clock: Clock;
  logger: Logger;
  requestTimeoutMs: number;
}

/** Renewal starts once this share of a token's lifetime has passed. */
const RENEW_AT_SHARE = 0.75;

/** A cached access token with its jti and its renewal and expiry times in ms since the epoch. */
interface CachedToken {
  value: string;
  tokenId: string | undefined;
  renewAt: number;
  expiresAt: number;
}

/**
 * Access token source that requests tokens with the OAuth2 client
 * credentials grant (HTTP Basic client authentication) and renews each one
 * when three quarters of its lifetime have passed. Concurrent callers share one request. Logs each
 * issuance and renewal with the agent id and the token's jti, never the
 * token or the secret.
 */
export class TokenClient implements AccessTokenSource {
  private cached: CachedToken | undefined;
  private obtained = 0;
  private pending: Promise<string> | undefined;

  constructor(private readonly options: TokenClientOptions) {}

  async token(): Promise<string> {
    const now = this.options.clock.now();
    if (this.cached && now < this.cached.renewAt) return this.cached.value;
    this.pending ??= this.request().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  private async request(): Promise<string> {
    const { tokenUrl, clientId, clientSecret, http, clock, logger, agentId } = this.options;
    const basic = Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64');
    const response = await http.request({
      method: 'POST',
      url: tokenUrl,
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=client_credentials&scope=metrics%3Awrite',
      signal: AbortSignal.timeout(this.options.requestTimeoutMs),
    });

    let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    try {
      body = JSON.parse(response.body) as typeof body;
    } catch {
      throw new TokenRequestError(`the token endpoint ${tokenUrl} responded ${response.status} without JSON; check gateway_url and token_url`, response.status);
    }
    if (response.status !== 200 || typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
      if (response.status === 200) {
        throw new TokenRequestError(`the token endpoint ${tokenUrl} responded 200 without a string access_token and a numeric expires_in; check token_url`, response.status);
      }
      const error = typeof body.error === 'string' ? body.error : `status ${response.status}`;
      const description = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
      // The gateway's error does not distinguish unknown, wrong or revoked credentials, so the message names the next step.
      const fix = error === 'invalid_client' ? '; the client id or secret is wrong or was revoked: create new credentials with `fleetpulse credentials create`' : '';
      throw new TokenRequestError(`the token endpoint rejected the token request (${error}${description})${fix}`, response.status);
    }

    const now = clock.now();
    const lifetimeMs = body.expires_in * 1_000;
    const renewal = this.obtained++ > 0;
    this.cached = { value: body.access_token, tokenId: tokenIdOf(body.access_token), renewAt: now + lifetimeMs * RENEW_AT_SHARE, expiresAt: now + lifetimeMs };
    logger.info(
      { agentId, clientId, jti: this.cached.tokenId, expiresAt: new Date(this.cached.expiresAt).toISOString() },
      renewal ? 'renewed the access token' : 'obtained an access token',
    );
    return this.cached.value;
  }
}

/** Encodes `text` as application/x-www-form-urlencoded, which RFC 6749 section 2.3.1 requires for the client id and secret before HTTP Basic. */
function formEncode(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, '+');
}

/** Reads the jti of a JWT without verification, only for the log. */
function tokenIdOf(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: unknown };
    return typeof payload.jti === 'string' ? payload.jti : undefined;
  } catch {
    return undefined;
  }
}
