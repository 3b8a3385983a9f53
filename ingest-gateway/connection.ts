import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Context } from 'hono';
import type { Principal } from './auth/tokens.js';

/** A client certificate that the TLS handshake verified against the client CA. */
export interface ClientCertificate {
  /** Subject common name: the agent id that the certificate identifies. */
  commonName: string;
  /** SHA-256 fingerprint, for the log. */
  fingerprint: string;
}

/** Values that the gateway's middleware passes to later handlers through the Hono context. */
export interface GatewayVariables {
  principal: Principal;
  clientCertificate: ClientCertificate;
}

export type GatewayEnv = { Variables: GatewayVariables };

/** Returns the socket of the request, or undefined for requests made with app.request in tests. */
function socketOf(c: Context): Socket | undefined {
  const env = c.env as { incoming?: { socket?: Socket } } | undefined;
  return env?.incoming?.socket;
}

/** Returns the peer's IP address, or `unknown` when the request did not come through a socket. */
export function clientAddress(c: Context): string {
  return socketOf(c)?.remoteAddress ?? 'unknown';
}

/** Returns the TLS socket of the request, or undefined for plain sockets and app.request. */
export function tlsSocketOf(c: Context): TLSSocket | undefined {
  const socket = socketOf(c);
  return socket && 'encrypted' in socket ? (socket as TLSSocket) : undefined;
}
