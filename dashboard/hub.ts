import { randomBytes } from 'node:crypto';
import type { Clock, Timer } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import { CLOSE_REAUTHORIZE, type DashboardSettings, type DiffMessage, type HeartbeatMessage, type SnapshotMessage } from './client/protocol.js';
import type { FleetState } from './fleet-state.js';

/** Part of a WebSocket that the hub uses, which the WebSocket of the `ws` package implements. */
export interface LiveSocket {
  send(data: string): void;
  /** Bytes queued and not yet written to the network. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
}

export interface HubOptions {
  fleet: FleetState;
  clock: Clock;
  logger: Logger;
  settings: DashboardSettings;
  pushIntervalMs: number;
  /** Maximum socket age. The hub then closes the socket with 4000, so that its token is checked again on reconnect. */
  socketMaxAgeMs: number;
  /** Time without a diff after which a heartbeat goes out. */
  heartbeatMs?: number;
  /** Time for which diffs stay available to polling pages. */
  retainMs?: number;
  /** Maximum unsent bytes of a socket. A socket with more is closed with 1013, and its page reconnects and gets a snapshot. */
  maxBufferedBytes?: number;
}

interface RetainedDiff {
  seq: number;
  at: number;
  text: string;
}

interface Member {
  socket: LiveSocket;
  connectedAt: number;
}

const DEFAULT_HEARTBEAT_MS = 10_000;
const DEFAULT_RETAIN_MS = 60_000;
const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_TRY_AGAIN_LATER = 1013;

/**
 * Sends the fleet's changes to every page. Each push interval it refreshes
 * the statuses, takes one diff, encodes it once and sends that text to every
 * socket. New sockets and snapshot requests wait for the next tick and get a
 * snapshot taken right after that tick's diff, so snapshot and diffs line up.
 * Recent diffs are retained for pages that lost their socket and poll.
 *
 * ```ts
 * const hub = new DashboardHub({ fleet, clock, logger, settings, pushIntervalMs: 250, socketMaxAgeMs: 900_000 });
 * hub.start();
 * hub.addSocket(ws);
 * const body = await hub.changesSince(epoch, seq);
 * await hub.stop();
 * ```
 */
export class DashboardHub {
  /** Identifier of this run. Pages that saw another epoch need a snapshot. */
  readonly epoch = randomBytes(6).toString('base64url');
  private seq = 0;
  private lastSentAt = 0;
  private readonly members = new Set<Member>();
  private joining: Member[] = [];
  private snapshotWaiters: Array<(text: string) => void> = [];
  private readonly retained: RetainedDiff[] = [];
  private timer: Timer | undefined;
  private stopped = false;
  private readonly heartbeatMs: number;
  private readonly retainMs: number;
  private readonly maxBufferedBytes: number;

  constructor(private readonly options: HubOptions) {
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.retainMs = options.retainMs ?? DEFAULT_RETAIN_MS;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  start(): void {
    this.lastSentAt = this.options.clock.now();
    this.schedule();
  }

  /** Closes every socket with 1001 and resolves the waiting snapshot requests. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    if (this.snapshotWaiters.length > 0) this.sendSnapshots();
    for (const member of [...this.members, ...this.joining]) member.socket.close(CLOSE_GOING_AWAY, 'dashboard stopping');
    this.members.clear();
    this.joining = [];
  }

  /** Number of open sockets, joining ones included. */
  get socketCount(): number {
    return this.members.size + this.joining.length;
  }

  /** Adds a socket, which gets a snapshot at the next tick and then every diff. */
  addSocket(socket: LiveSocket): void {
    if (this.stopped) {
      socket.close(CLOSE_GOING_AWAY, 'dashboard stopping');
      return;
    }
    this.joining.push({ socket, connectedAt: this.options.clock.now() });
  }

  removeSocket(socket: LiveSocket): void {
    for (const member of this.members) {
      if (member.socket === socket) this.members.delete(member);
    }
    this.joining = this.joining.filter((member) => member.socket !== socket);
  }

  /** Resolves with an encoded snapshot taken at the next tick. */
  snapshot(): Promise<string> {
    if (this.stopped) return Promise.resolve(this.encodeSnapshot());
    return new Promise((resolve) => this.snapshotWaiters.push(resolve));
  }

  /**
   * Resolves with the encoded `ChangesResponse` for a page that has applied
   * everything up to `seq` of `epoch`: the diffs after it, a heartbeat when
   * there are none, or a snapshot when they are no longer all retained.
   */
  async changesSince(epoch: string | undefined, seq: number | undefined): Promise<string> {
    const oldest = this.retained[0];
    const complete = oldest === undefined ? seq === this.seq : seq !== undefined && seq >= oldest.seq - 1;
    if (epoch !== this.epoch || seq === undefined || seq > this.seq || !complete) {
      return `{"messages":[${await this.snapshot()}]}`;
    }
    if (seq === this.seq) return `{"messages":[${JSON.stringify(this.heartbeat())}]}`;
    const texts = this.retained.filter((diff) => diff.seq > seq).map((diff) => diff.text);
    return `{"messages":[${texts.join(',')}]}`;
  }

  /** Runs one push: refreshes the statuses, sends the diff, then snapshots to joining sockets. Public for tests that drive it with a ManualClock. */
  tick(): void {
    const { fleet, clock } = this.options;
    const now = clock.now();
    fleet.refresh(now);

    const changes = fleet.takeDiff();
    if (changes) {
      this.seq += 1;
      const diff: DiffMessage = { type: 'diff', epoch: this.epoch, seq: this.seq, now, ...changes };
      const text = JSON.stringify(diff);
      this.retain({ seq: this.seq, at: now, text });
      this.broadcast(text, now);
    } else if (now - this.lastSentAt >= this.heartbeatMs) {
      this.broadcast(JSON.stringify(this.heartbeat()), now);
    }

    this.closeExpired(now);
    if (this.joining.length > 0 || this.snapshotWaiters.length > 0) this.sendSnapshots();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.options.clock.setTimeout(() => {
      try {
        this.tick();
      } catch (error) {
        this.options.logger.error({ err: error }, 'dashboard push failed, retrying at the next push interval');
      }
      this.schedule();
    }, this.options.pushIntervalMs);
    this.timer.unref();
  }

  private heartbeat(): HeartbeatMessage {
    return { type: 'heartbeat', epoch: this.epoch, seq: this.seq, now: this.options.clock.now() };
  }

  // NOTE: with 10,000 agents and full sparklines a snapshot is about 8 MiB and took about 200 ms of CPU
  // to build on a 2-core AMD EPYC (bench/dashboard.ts). The role handles nothing else meanwhile.
  private encodeSnapshot(): string {
    const { fleet, clock, settings } = this.options;
    const message: SnapshotMessage = { type: 'snapshot', epoch: this.epoch, seq: this.seq, now: clock.now(), settings, ...fleet.snapshot() };
    return JSON.stringify(message);
  }

  private sendSnapshots(): void {
    const text = this.encodeSnapshot();
    for (const member of this.joining) {
      if (this.sendTo(member, text)) this.members.add(member);
    }
    this.joining = [];
    const waiters = this.snapshotWaiters;
    this.snapshotWaiters = [];
    for (const resolve of waiters) resolve(text);
  }

  private broadcast(text: string, now: number): void {
    this.lastSentAt = now;
    for (const member of this.members) {
      if (!this.sendTo(member, text)) this.members.delete(member);
    }
  }

  /** Sends `text` unless the socket is too far behind, in which case it closes the socket. Returns whether the socket stays. */
  private sendTo(member: Member, text: string): boolean {
    if (member.socket.bufferedAmount > this.maxBufferedBytes) {
      this.options.logger.warn({ bufferedBytes: member.socket.bufferedAmount }, 'closing a dashboard socket that reads too slowly, so the page reconnects with a snapshot');
      member.socket.close(CLOSE_TRY_AGAIN_LATER, 'reading too slowly');
      return false;
    }
    member.socket.send(text);
    return true;
  }

  private closeExpired(now: number): void {
    for (const member of this.members) {
      if (now - member.connectedAt < this.options.socketMaxAgeMs) continue;
      member.socket.close(CLOSE_REAUTHORIZE, 'reconnect to renew authorization');
      this.members.delete(member);
    }
  }

  private retain(diff: RetainedDiff): void {
    this.retained.push(diff);
    const cutoff = diff.at - this.retainMs;
    let drop = 0;
    while (drop < this.retained.length - 1 && this.retained[drop]!.at < cutoff) drop++;
    if (drop > 0) this.retained.splice(0, drop);
  }
}
