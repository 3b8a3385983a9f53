import type { MiddlewareHandler } from 'hono';
import type { GatewayCounters } from '../gateway-metrics.js';
import { type GatewayEnv, tlsSocketOf } from '../connection.js';
import { errorResponse } from '../problem.js';

export type ClientAuthMode = 'none' | 'optional' | 'required';

/**
 * Checks the client certificate of the TLS connection and stores its
 * subject CN as `clientCertificate` for the token and batch checks.
 *
 * The TLS server requests a certificate but completes the handshake without
 * a valid one, so that this middleware can respond 401 with a reason.
 * `required` rejects a missing certificate, and both `required` and
 * `optional` reject one that did not verify against the client CA.
 * Requests made without a socket (app.request in tests) pass unchecked in
 * `optional` mode and are rejected in `required` mode.
 *
 * ```ts
 * app.use('/v1/*', clientCertificate({ mode: 'required', counters, route: 'ingest' }));
 * ```
 */
export function clientCertificate(options: { mode: ClientAuthMode; counters: GatewayCounters; route: string }): MiddlewareHandler<GatewayEnv> {
  const { mode, counters, route } = options;
  return async (c, next) => {
    if (mode === 'none') return next();

    const socket = tlsSocketOf(c);
    const peer = socket?.getPeerCertificate();
    const presented = peer !== undefined && Object.keys(peer).length > 0;

    if (!presented) {
      if (mode === 'optional') return next();
      counters.authRejected(route, 'client_certificate_required');
      c.header('Connection', 'close');
      return errorResponse(c, 401, 'client_certificate_required', 'this gateway requires a client certificate (mutual TLS); configure tls.cert_file and tls.key_file in the agent');
    }

    if (!socket!.authorized) {
      counters.authRejected(route, 'client_certificate_invalid');
      c.header('Connection', 'close');
      return errorResponse(
        c,
        401,
        'client_certificate_invalid',
        `the client certificate was not accepted: ${String(socket!.authorizationError)}; it must be signed by the gateway's client CA (tls.client_ca_file)`,
      );
    }

    const commonName = typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined;
    if (!commonName) {
      counters.authRejected(route, 'client_certificate_invalid');
      return errorResponse(c, 401, 'client_certificate_invalid', 'the client certificate has no subject CN; its CN must be the agent id');
    }
    c.set('clientCertificate', { commonName, fingerprint: peer.fingerprint256 });
    return next();
  };
}
