import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../pipeline/log/logger.js';
import { DASHBOARD_SUBPROTOCOL } from './client/protocol.js';
import type { DashboardHub } from './hub.js';

/** Outcome of authorizing an upgrade, as GatewaySecurity.authorizeUpgrade returns it. */
export type UpgradeDecision =
  | { ok: true; clientId?: string }
  | { ok: false; status: number; headers: Record<string, string>; problem: unknown };

/** Checks an upgrade request's credentials, as the API's guard checks a request's. */
export type UpgradeAuthorizer = (request: IncomingMessage) => Promise<UpgradeDecision>;

/** Handles a node server's `upgrade` event. Returns false when the request is not for this handler. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

export interface SocketEndpointOptions {
  /** Path of the WebSocket, such as /dashboard/ws. */
  path: string;
  hub: DashboardHub;
  authorize: UpgradeAuthorizer;
  logger: Logger;
  /** Interval between pings of each socket. A socket without a pong by the next ping is dropped. */
  pingIntervalMs?: number;
}

const DEFAULT_PING_INTERVAL_MS = 30_000;
/** Maximum incoming frame size. Pages send nothing but close frames (at most 125 bytes), so a larger frame is not from the dashboard page. */
const MAX_INCOMING_BYTES = 1_024;

/**
 * The dashboard's WebSocket endpoint on a node HTTPS server:
 *
 * ```ts
 * const endpoint = new SocketEndpoint({ path: '/dashboard/ws', hub, authorize, logger });
 * server.on('upgrade', (request, socket, head) => {
 *   if (!endpoint.handleUpgrade(request, socket, head)) socket.destroy();
 * });
 * ```
 *
 * It rejects an upgrade whose Origin names another host than the request's
 * Host with 403, because browsers let any page open a WebSocket to any
 * address and this socket carries fleet data. Then `authorize` checks the
 * token, and the socket must offer the DASHBOARD_SUBPROTOCOL, which the
 * server selects.
 */
export class SocketEndpoint {
  private readonly server: WebSocketServer;
  private readonly alive = new WeakSet<WebSocket>();
  private readonly pingTimer: NodeJS.Timeout;

  constructor(private readonly options: SocketEndpointOptions) {
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_INCOMING_BYTES,
      // Only snapshots and large diffs are worth the CPU of compressing them per socket.
      perMessageDeflate: { threshold: 16 * 1024 },
      handleProtocols: (offered) => (offered.has(DASHBOARD_SUBPROTOCOL) ? DASHBOARD_SUBPROTOCOL : false),
    });
    this.pingTimer = setInterval(() => this.pingAll(), options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  /** Takes the upgrade when its path is the endpoint's. Returns false otherwise and leaves the socket alone. */
  readonly handleUpgrade: UpgradeHandler = (request, socket, head) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== this.options.path) return false;
    void this.upgrade(request, socket, head).catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'dashboard WebSocket upgrade failed');
      socket.destroy();
    });
    return true;
  };

  /** Stops pinging and closes the server. The hub closes the sockets. */
  close(): void {
    clearInterval(this.pingTimer);
    this.server.close();
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());

    if (!sameOrigin(request)) {
      reject(socket, 403, {}, { error: { code: 'cross_origin', message: 'the dashboard WebSocket accepts pages served by this host only' } });
      return;
    }
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
    if (!offered.includes(DASHBOARD_SUBPROTOCOL)) {
      reject(socket, 400, {}, { error: { code: 'missing_subprotocol', message: `offer the WebSocket subprotocol ${DASHBOARD_SUBPROTOCOL}` } });
      return;
    }

    const decision = await this.options.authorize(request);
    if (!decision.ok) {
      reject(socket, decision.status, decision.headers, decision.problem);
      return;
    }

    this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws, decision.clientId));
  }

  // NOTE: an open socket outlives the expiry or revocation of the token it was opened with, by at
  // most dashboard.socket_max_age, after which the hub closes it and the page must authorize again.
  private accept(ws: WebSocket, clientId: string | undefined): void {
    const { hub, logger } = this.options;
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    ws.on('message', () => ws.close(1008, 'the dashboard socket takes no messages'));
    ws.on('error', (error) => logger.debug({ err: error, clientId }, 'dashboard socket error'));
    ws.on('close', () => hub.removeSocket(ws));
    hub.addSocket(ws);
    logger.debug({ clientId, sockets: hub.socketCount }, 'dashboard socket opened');
  }

  private pingAll(): void {
    for (const ws of this.server.clients) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }
}

/** Returns true unless the request carries an Origin whose host differs from its Host header. */
function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** Writes an HTTP error response to an upgrade request and closes the connection. */
function reject(socket: Duplex, status: number, headers: Record<string, string>, problem: unknown): void {
  const body = JSON.stringify(problem);
  const lines = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${lines}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
