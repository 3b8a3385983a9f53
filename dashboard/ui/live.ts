import { reconnectDelay } from '../client/backoff.js';
import type { FleetModel } from '../client/fleet-model.js';
import { CLOSE_REAUTHORIZE, type ChangesResponse, DASHBOARD_SUBPROTOCOL, type ServerMessage } from '../client/protocol.js';
import { type Session, UnauthorizedError } from './session.js';

/**
 * Connection state shown on the page. `connecting`: the first socket is opening.
 * `live`: the WebSocket delivers messages. `polling`: the socket is down and the
 * page polls. `offline`: polling fails too. `signed-out`: the API rejected the token
 * or the page has none.
 */
export type LiveState = 'connecting' | 'live' | 'polling' | 'offline' | 'signed-out';

export interface LiveConnectionOptions {
  model: FleetModel;
  session: Session;
  /** Called after every message that changed the model. */
  onChange(): void;
  onState(state: LiveState, detail: string): void;
  /** Called when the API responds with 401, after the connection has stopped. */
  onUnauthorized(error: UnauthorizedError): void;
}

/** Silence after which a socket is closed and reopened. The server sends a heartbeat after 10 s without a diff. */
const SILENT_SOCKET_MS = 35_000;

/**
 * Keeps the model current over the WebSocket while the socket works. When it
 * fails, the connection polls GET api/changes every poll interval and
 * reconnects the socket with exponential backoff. A message that does not
 * follow the model, after a missed diff or a server restart, makes it fetch a
 * snapshot.
 */
export class LiveConnection {
  private socket: WebSocket | undefined;
  private failures = 0;
  private reconnectTimer: number | undefined;
  private pollTimer: number | undefined;
  private watchdog: number | undefined;
  private lastMessageAt = 0;
  private running = false;
  private needsSnapshot = true;

  constructor(private readonly options: LiveConnectionOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.needsSnapshot = true;
    this.openSocket();
    this.watchdog = window.setInterval(() => this.checkSocket(), 5_000);
  }

  stop(): void {
    this.running = false;
    window.clearTimeout(this.reconnectTimer);
    window.clearTimeout(this.pollTimer);
    window.clearInterval(this.watchdog);
    this.pollTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, 'page stopped');
  }

  private openSocket(): void {
    if (!this.running) return;
    this.options.onState(this.failures === 0 ? 'connecting' : 'polling', 'opening the live connection');
    const url = new URL('ws', window.location.href);
    url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
    const token = this.options.session.token;
    const protocols = token ? [DASHBOARD_SUBPROTOCOL, `bearer.${token}`] : [DASHBOARD_SUBPROTOCOL];

    const socket = new WebSocket(url, protocols);
    this.socket = socket;
    // The watchdog measures silence from the socket's start, so a socket that is still waiting for its snapshot stays.
    this.lastMessageAt = Date.now();
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.lastMessageAt = Date.now();
      const message = JSON.parse(String(event.data)) as ServerMessage;
      if (!this.receive(message)) {
        // The socket's next message would be a diff that the model cannot apply, but a new socket starts with a snapshot.
        socket.close(1000, 'resynchronizing');
        return;
      }
      if (message.type === 'snapshot') {
        this.failures = 0;
        this.stopPolling();
        this.options.onState('live', 'live over WebSocket');
      }
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (!this.running) return;
      if (event.code === CLOSE_REAUTHORIZE) {
        // The server closes sockets at their maximum age, so that reconnecting checks the token again.
        this.openSocket();
        return;
      }
      this.startPolling();
      const delay = reconnectDelay(this.failures++, Math.random());
      this.options.onState('polling', `live connection lost (code ${event.code}), so the page polls and reconnects in ${Math.round(delay / 1_000)} s`);
      this.reconnectTimer = window.setTimeout(() => this.openSocket(), delay);
    };
  }

  /** Applies a message and returns false when the model needs a snapshot first. */
  private receive(message: ServerMessage): boolean {
    const outcome = this.options.model.apply(message, Date.now());
    if (outcome === 'resync') {
      this.needsSnapshot = true;
      return false;
    }
    this.needsSnapshot = false;
    if (message.type !== 'heartbeat') this.options.onChange();
    return true;
  }

  private checkSocket(): void {
    const socket = this.socket;
    if (socket && socket.readyState === WebSocket.OPEN && Date.now() - this.lastMessageAt > SILENT_SOCKET_MS) socket.close(4001, 'no message for too long');
  }

  private startPolling(): void {
    if (this.pollTimer !== undefined) return;
    // Poll at once. The socket may have failed because the page must sign in, and only an HTTP 401 response shows that.
    this.pollTimer = window.setTimeout(() => void this.poll(), 0);
  }

  private stopPolling(): void {
    window.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async poll(): Promise<void> {
    if (!this.running || this.pollTimer === undefined) return;
    const { model, session } = this.options;
    const query = this.needsSnapshot || !model.synchronized ? '' : `?epoch=${encodeURIComponent(model.epoch ?? '')}&since=${model.seq}`;
    try {
      const body = (await session.getJson(`api/changes${query}`)) as ChangesResponse;
      for (const message of body.messages) {
        if (!this.receive(message)) break;
      }
      if (this.socket?.readyState !== WebSocket.OPEN) this.options.onState('polling', 'the live connection is down, so the page polls for changes');
    } catch (error) {
      if (error instanceof UnauthorizedError) {
        this.stop();
        this.options.onState('signed-out', error.message);
        this.options.onUnauthorized(error);
        return;
      }
      this.options.onState('offline', `cannot reach the dashboard: ${(error as Error).message}`);
    }
    if (this.pollTimer === undefined || !this.running) return;
    this.pollTimer = window.setTimeout(() => void this.poll(), model.settings.pollIntervalMs);
  }
}
