import type { MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import type { Clock } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { CredentialStore } from '../pipeline/state/credential-store.js';
import type { RateLimiter } from '../pipeline/state/rate-limiter.js';
import type { SigningKeyStore } from '../pipeline/state/signing-key-store.js';
import { bearerAuth } from './auth/bearer-auth.js';
import { clientCertificate } from './auth/client-certificate.js';
import { SigningKeyRing } from './auth/key-ring.js';
import { RevocationList } from './auth/revocations.js';
import { METRICS_WRITE_SCOPE, TokenIssuer, TokenVerifier } from './auth/tokens.js';
import type { GatewayConfig, RateLimitedRoute } from './config.js';
import type { GatewayEnv } from './connection.js';
import { GatewayCounters } from './gateway-metrics.js';
import { rateLimit } from './rate-limit/rate-limit.js';
import { oauthRoutes } from './routes/oauth.js';

export interface SecurityDeps {
  config: GatewayConfig;
  credentials: CredentialStore;
  signingKeys: SigningKeyStore;
  rateLimiter: RateLimiter;
  clock: Clock;
  logger: Logger;
}

/**
 * The gateway's authentication, token issuance and rate limiting, built once
 * per gateway and shared by its routes.
 *
 * ```ts
 * const security = await GatewaySecurity.start({ config, credentials, signingKeys, rateLimiter, clock, logger });
 * app.post('/v1/metrics', ...security.ingestGuards(), handler);
 * await security.stop();
 * ```
 */
export class GatewaySecurity {
  readonly counters = new GatewayCounters();

  private constructor(
    private readonly deps: SecurityDeps,
    readonly keys: SigningKeyRing,
    readonly revocations: RevocationList,
    readonly issuer: TokenIssuer,
    readonly verifier: TokenVerifier,
  ) {}

  /** Loads (or creates) the signing keys and the revocation list, and starts rereading both. */
  static async start(deps: SecurityDeps): Promise<GatewaySecurity> {
    const { auth } = deps.config;
    const settings = { issuer: auth.issuer, audience: auth.audience, ttlMs: auth.token_ttl, clockToleranceMs: auth.clock_tolerance };
    const keys = await SigningKeyRing.open({
      store: deps.signingKeys,
      algorithm: auth.algorithm,
      rotationMs: auth.key_rotation,
      retentionMs: auth.token_ttl + auth.key_refresh + auth.clock_tolerance,
      refreshMs: auth.key_refresh,
      clock: deps.clock,
      logger: deps.logger,
    });
    const revocations = new RevocationList(deps.credentials, auth.revocation_refresh, deps.clock, deps.logger);
    await revocations.start();
    keys.start();
    return new GatewaySecurity(deps, keys, revocations, new TokenIssuer(keys, settings, deps.clock), new TokenVerifier(keys, revocations, settings, deps.clock));
  }

  async stop(): Promise<void> {
    this.keys.stop();
    this.revocations.stop();
  }

  /**
   * Returns the middleware of POST /v1/metrics, in order: per-IP limit, client
   * certificate, access token with metrics:write, per-agent limit. None of
   * them reads the body.
   */
  ingestGuards(): MiddlewareHandler<GatewayEnv>[] {
    const { config, clock, logger } = this.deps;
    return [
      this.rateLimit('ingest', 'ip'),
      clientCertificate({ mode: config.tls.client_auth, counters: this.counters, route: 'ingest' }),
      bearerAuth({ verifier: this.verifier, scope: METRICS_WRITE_SCOPE, route: 'ingest', counters: this.counters, clock, logger }),
      this.rateLimit('ingest', 'agent'),
    ];
  }

  /** Returns the per-IP limit of read-only routes. */
  readGuard(): MiddlewareHandler<GatewayEnv> {
    return this.rateLimit('read', 'ip');
  }

  /** Returns the routes POST /oauth/token, GET /.well-known/jwks.json and GET /metrics. */
  routes(): Hono<GatewayEnv> {
    const { config, credentials, logger } = this.deps;
    const app = new Hono<GatewayEnv>();
    app.route(
      '/',
      oauthRoutes({
        credentials,
        issuer: this.issuer,
        keys: this.keys,
        counters: this.counters,
        logger,
        guards: [this.rateLimit('token', 'ip'), clientCertificate({ mode: config.tls.client_auth, counters: this.counters, route: 'token' })],
        readGuards: [this.readGuard()],
      }),
    );
    app.get('/metrics', this.readGuard(), (c) => c.text(this.counters.toPrometheusText(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }));
    return app;
  }

  private rateLimit(route: RateLimitedRoute, by: 'ip' | 'agent'): MiddlewareHandler<GatewayEnv> {
    const { config, rateLimiter, clock, logger } = this.deps;
    return rateLimit({ limiter: rateLimiter, config: config.rate_limits, route, by, counters: this.counters, clock, logger });
  }
}
