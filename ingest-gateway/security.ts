import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { every } from 'hono/combine';
import type { Clock } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { CredentialStore } from '../pipeline/state/credential-store.js';
import type { RateLimiter } from '../pipeline/state/rate-limiter.js';
import type { SigningKeyStore } from '../pipeline/state/signing-key-store.js';
import { bearerAuth } from './auth/bearer-auth.js';
import { clientCertificate } from './auth/client-certificate.js';
import { SigningKeyRing } from './auth/key-ring.js';
import { RevocationList } from './auth/revocations.js';
import { OPERATOR_SCOPES, type OperatorScope } from './auth/scopes.js';
import { METRICS_WRITE_SCOPE, TokenIssuer, TokenVerifier } from './auth/tokens.js';
import { type UpgradeAuthorization, upgradeAuthorizer } from './auth/upgrade-auth.js';
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
  private readonly operatorGuards = new Map<OperatorScope, MiddlewareHandler<GatewayEnv>>();
  private readonly authorizeUpgradeRequest: ReturnType<typeof upgradeAuthorizer>;

  private constructor(
    private readonly deps: SecurityDeps,
    readonly keys: SigningKeyRing,
    readonly revocations: RevocationList,
    readonly issuer: TokenIssuer,
    readonly verifier: TokenVerifier,
  ) {
    this.authorizeUpgradeRequest = upgradeAuthorizer({ ...deps, verifier, counters: this.counters });
  }

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
    if (auth.operator_access === 'open') {
      deps.logger.warn(
        { operatorAccess: auth.operator_access },
        'gateway.auth.operator_access is open: agents, silences, alert decisions, /metrics and the dashboard respond without a token; set it to token unless only trusted clients reach the gateway',
      );
    }
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

  /** Returns the per-IP limit of the read routes alone. Routes that serve fleet data take operatorGuard instead. */
  readGuard(): MiddlewareHandler<GatewayEnv> {
    return this.rateLimit('read', 'ip');
  }

  /**
   * Returns the middleware of an operator route: the per-IP limit of the read
   * routes, then, when `gateway.auth.operator_access` is `token` (the
   * default), `Authorization: Bearer <token>` with `scope`. It responds 401
   * with `WWW-Authenticate: Bearer` without a valid token and 403
   * `insufficient_scope` without the scope, in the JSON error format. With
   * `open`, only the per-IP limit applies. No client certificate is checked,
   * because browsers and scripts rarely have one.
   *
   * ```ts
   * app.get('/v1/heatmap', security.operatorGuard('read'), handler);
   * app.post('/v1/silences', security.operatorGuard('silences:write'), handler);
   * ```
   */
  operatorGuard(scope: OperatorScope): MiddlewareHandler<GatewayEnv> {
    if (!OPERATOR_SCOPES.includes(scope)) throw new TypeError(`operatorGuard takes one of ${OPERATOR_SCOPES.join(', ')}, found ${JSON.stringify(scope)}`);
    const cached = this.operatorGuards.get(scope);
    if (cached) return cached;

    const { config, clock, logger } = this.deps;
    const limit = this.readGuard();
    const guard =
      config.auth.operator_access === 'open'
        ? limit
        : (every(limit, bearerAuth({ verifier: this.verifier, scope, route: scope === 'read' ? 'read' : 'silences', counters: this.counters, clock, logger })) as MiddlewareHandler<GatewayEnv>);
    this.operatorGuards.set(scope, guard);
    return guard;
  }

  /**
   * Authorizes a WebSocket upgrade request as operatorGuard does an HTTP
   * route. Browsers cannot set Authorization on a WebSocket, so the token may
   * come as the subprotocol `bearer.<token>` in `Sec-WebSocket-Protocol`;
   * other clients may send `Authorization: Bearer <token>` (not both). The
   * per-IP limit applies to an IncomingMessage, whose socket gives the
   * address. On rejection, write `status`, `headers` and the JSON `problem`
   * and close the socket. The promise rejects only when the gateway itself
   * fails, such as a failed reread of the signing keys.
   *
   * A browser fails the connection unless the server selects one of the
   * offered subprotocols (WHATWG WebSockets standard, "establish a WebSocket
   * connection"), so the client offers a second one, such as
   * `fleetpulse.v1`, and the server selects that one. It must never echo the
   * `bearer.` protocol, which would send the token back in a header.
   *
   * ```ts
   * // browser: new WebSocket(url, ['fleetpulse.v1', `bearer.${accessToken}`]);
   * const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has('fleetpulse.v1') ? 'fleetpulse.v1' : false) });
   * server.on('upgrade', async (request, socket, head) => {
   *   const result = await security.authorizeUpgrade(request, 'read');
   *   if (!result.ok) {
   *     const headers = Object.entries(result.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
   *     const body = JSON.stringify(result.problem);
   *     socket.end(`HTTP/1.1 ${result.status} ${STATUS_CODES[result.status]}\r\n${headers}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
   *     return;
   *   }
   *   wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request, result.clientId));
   * });
   * ```
   */
  authorizeUpgrade(request: IncomingMessage | Request, scope: 'read'): Promise<UpgradeAuthorization> {
    return this.authorizeUpgradeRequest(request, scope);
  }

  /** Returns the routes POST /oauth/token, GET /.well-known/jwks.json and GET /metrics (under the read scope). */
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
    app.get('/metrics', this.operatorGuard('read'), (c) => c.text(this.counters.toPrometheusText(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }));
    return app;
  }

  private rateLimit(route: RateLimitedRoute, by: 'ip' | 'agent'): MiddlewareHandler<GatewayEnv> {
    const { config, rateLimiter, clock, logger } = this.deps;
    return rateLimit({ limiter: rateLimiter, config: config.rate_limits, route, by, counters: this.counters, clock, logger });
  }
}
