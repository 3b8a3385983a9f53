import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Server as TlsServer } from 'node:tls';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { rejectPlainHttp } from './tls/plain-http.js';
import type { GatewayTls } from './tls/gateway-tls.js';

export interface RunningServer {
  /** Base URL, such as https://127.0.0.1:8443. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  tls: GatewayTls;
  /** Called for each connection that sent plain HTTP, which gets `400 use https`. */
  onPlainHttp?: () => void;
  /** Handles WebSocket upgrade requests (the server's `upgrade` event); without it Node closes their connections. */
  onUpgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/**
 * Serves a Hono app over HTTPS only and resolves once it listens.
 *
 * With a client CA, the server requests a certificate from every client and
 * verifies it against that CA. It completes the handshake even without a
 * valid certificate, so that the client certificate middleware can respond
 * 401 with the reason instead of a bare handshake failure.
 */
export function listen(app: Hono, options: ListenOptions): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    let url = '';
    const server: ServerType = serve(
      {
        fetch: app.fetch,
        hostname: options.host,
        port: options.port,
        createServer: createHttpsServer,
        serverOptions: {
          cert: options.tls.cert,
          key: options.tls.key,
          minVersion: 'TLSv1.2',
          ...(options.tls.clientCa ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
        },
      },
      (info: AddressInfo) => {
        server.off('error', onError);
        const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        url = `https://${shownHost}:${info.port}`;
        resolve({
          url,
          port: info.port,
          close: () =>
            new Promise<void>((done, fail) => {
              server.close((error) => (error ? fail(error) : done()));
              if ('closeAllConnections' in server) server.closeAllConnections();
            }),
        });
      },
    );
    rejectPlainHttp(server as unknown as TlsServer, () => url, options.onPlainHttp ?? (() => undefined));
    if (options.onUpgrade) server.on('upgrade', options.onUpgrade);
    server.once('error', onError);
  });
}
