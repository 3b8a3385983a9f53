import { randomUUID } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../../pipeline/clock/index.js';
import type { CredentialRecord } from '../../pipeline/state/credential-store.js';
import type { SigningKeyRing } from './key-ring.js';
import type { RevocationList } from './revocations.js';

/** The scope that POST /v1/metrics requires. */
export const METRICS_WRITE_SCOPE = 'metrics:write';

/** `typ` of access tokens (RFC 9068 section 2.1). */
const ACCESS_TOKEN_TYPE = 'at+jwt';

/** The agent and credentials behind a verified access token. */
export interface Principal {
  agentId: string;
  clientId: string;
  group: string;
  /** The credentials' tags at issue time. */
  tags: Readonly<Record<string, string>>;
  scopes: ReadonlySet<string>;
  /** The token's jti. */
  tokenId: string;
  /** Expiry time in milliseconds since the Unix epoch. */
  expiresAt: number;
}

/** Raised for a token that gets 401 with error="invalid_token". The message is the error_description. */
export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlMs: number;
  clockToleranceMs: number;
}

/** Claims of an access token besides the registered ones (RFC 9068 section 2.2). */
interface AccessTokenClaims extends JWTPayload {
  client_id: string;
  scope: string;
  /** The credential's agent group. */
  grp: string;
  tags: Record<string, string>;
}

/** Issues signed access tokens for client credentials. */
export class TokenIssuer {
  constructor(
    private readonly keys: SigningKeyRing,
    private readonly settings: TokenSettings,
    private readonly clock: Clock,
  ) {}

  async issue(credential: CredentialRecord, scopes: readonly string[]): Promise<{ token: string; tokenId: string; expiresAt: number; expiresIn: number }> {
    const { kid, alg, privateKey } = this.keys.signingKey();
    const issuedAt = Math.floor(this.clock.now() / 1_000);
    const expiresAt = issuedAt + Math.floor(this.settings.ttlMs / 1_000);
    const tokenId = randomUUID();
    const claims: AccessTokenClaims = { client_id: credential.clientId, scope: scopes.join(' '), grp: credential.group, tags: credential.tags };

    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(credential.agentId)
      .setJti(tokenId)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(privateKey);
    return { token, tokenId, expiresAt: expiresAt * 1_000, expiresIn: expiresAt - issuedAt };
  }
}

/** Max tokens kept after their signature verified, so that an agent's next requests skip the signature check. */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Verifies access tokens: signature against the key ring, typ, iss, aud,
 * exp and nbf (with the clock tolerance), the claims fleetpulse needs, and
 * the revocation list.
 *
 * A token whose signature verified once is kept (up to 10,000 tokens), so
 * later requests with it check only the times and the revocation list. Those
 * change over time, but the signature over the same bytes cannot.
 */
export class TokenVerifier {
  private readonly verified = new Map<string, Principal & { notBefore: number }>();

  constructor(
    private readonly keys: SigningKeyRing,
    private readonly revocations: RevocationList,
    private readonly settings: TokenSettings,
    private readonly clock: Clock,
  ) {}

  async verify(token: string): Promise<Principal> {
    const now = this.clock.now();
    const cached = this.verified.get(token);
    const principal = cached ?? (await this.verifySignedToken(token, now));

    if (cached) {
      if (now - this.settings.clockToleranceMs >= cached.expiresAt) {
        this.verified.delete(token);
        throw new InvalidTokenError(`the token expired at ${new Date(cached.expiresAt).toISOString()}; request a new one`);
      }
      if (now + this.settings.clockToleranceMs < cached.notBefore) throw new InvalidTokenError(`the token is not valid before ${new Date(cached.notBefore).toISOString()}`);
    }

    const revokedAt = this.revocations.revokedAt(principal.clientId);
    if (revokedAt !== undefined) {
      throw new InvalidTokenError(`the credentials ${principal.clientId} of this token were revoked at ${new Date(revokedAt).toISOString()}`);
    }
    return principal;
  }

  private async verifySignedToken(token: string, now: number): Promise<Principal & { notBefore: number }> {
    let payload: AccessTokenClaims;
    try {
      const result = await jwtVerify<AccessTokenClaims>(
        token,
        async (header) => {
          const found = await this.keys.verificationKey(header.kid);
          if (!found) throw new InvalidTokenError(`the token was signed with an unknown key (kid ${header.kid ?? 'missing'}); request a new token`);
          if (found.alg !== header.alg) throw new InvalidTokenError(`the token's alg ${header.alg} does not match its key's ${found.alg}`);
          return found.key;
        },
        {
          issuer: this.settings.issuer,
          audience: this.settings.audience,
          typ: ACCESS_TOKEN_TYPE,
          algorithms: ['EdDSA', 'ES256'],
          currentDate: new Date(now),
          clockTolerance: Math.floor(this.settings.clockToleranceMs / 1_000),
          requiredClaims: ['sub', 'jti', 'exp', 'nbf', 'iat', 'client_id'],
        },
      );
      payload = result.payload;
    } catch (error) {
      // Other errors, such as a failed reread of the key store, are failures of the gateway, not of the token.
      if (error instanceof InvalidTokenError || error instanceof errors.JOSEError) throw toInvalidToken(error, this.settings);
      throw error;
    }

    const principal = {
      agentId: payload.sub!,
      clientId: String(payload.client_id),
      group: typeof payload.grp === 'string' ? payload.grp : 'default',
      tags: typeof payload.tags === 'object' && payload.tags !== null ? payload.tags : {},
      scopes: new Set(typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : []),
      tokenId: payload.jti!,
      expiresAt: payload.exp! * 1_000,
      notBefore: payload.nbf! * 1_000,
    };
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, principal);
    return principal;
  }
}

/** Converts a jose error into an InvalidTokenError whose message is the error_description. */
function toInvalidToken(error: unknown, settings: TokenSettings): InvalidTokenError {
  if (error instanceof InvalidTokenError) return error;
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload.exp;
    return new InvalidTokenError(`the token expired${typeof exp === 'number' ? ` at ${new Date(exp * 1_000).toISOString()}` : ''}; request a new one`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf': {
        const nbf = error.payload.nbf;
        return new InvalidTokenError(`the token is not valid before ${typeof nbf === 'number' ? new Date(nbf * 1_000).toISOString() : 'its nbf time'}`);
      }
      case 'aud':
        return new InvalidTokenError(`the token's audience is not ${settings.audience}`);
      case 'iss':
        return new InvalidTokenError(`the token's issuer is not ${settings.issuer}`);
      case 'typ':
        return new InvalidTokenError(`the token is not an access token (typ ${ACCESS_TOKEN_TYPE})`);
      default:
        return new InvalidTokenError(error.reason === 'missing' ? `the token lacks the ${error.claim} claim` : `the token's ${error.claim} claim is invalid`);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenError('the token signature is invalid');
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError('the token is signed with an algorithm that is not accepted; expected EdDSA or ES256');
  return new InvalidTokenError('the token is malformed; expected a signed JWT');
}
