/**
 * Messages from the dashboard role to the page, over the WebSocket and the
 * polling endpoints. Every message is one JSON object with a `type`.
 *
 * WebSocket `wss://HOST/dashboard/ws`, subprotocol `fleetpulse.dashboard.v1`.
 * A browser offers `['fleetpulse.dashboard.v1', 'bearer.<token>']`, and the
 * server selects the first one, never the one with the token. The server
 * sends, in order:
 *
 * 1. one `snapshot`: the whole fleet at `seq`;
 * 2. one `diff` per push interval (250 ms by default) in which something
 *    changed, with `seq` one higher than the message before;
 * 3. a `heartbeat` (same `seq` as the last diff) after 10 s without a diff.
 *
 * The client sends nothing. The server closes the socket with 1013 when the
 * client reads too slowly, with 4000 after `dashboard.socket_max_age` (so a
 * revoked or expired token stops working), and with 1001 when it stops. A
 * client reconnects with a fresh snapshot each time.
 *
 * A client applies a diff in this order: `removed`, `added`, `changed`,
 * `resolved`, `firing`. A diff whose `seq` is not one above the client's, or
 * whose `epoch` differs, means the client missed messages and needs a snapshot.
 *
 * Polling, for when the socket fails (same authentication as the API, with
 * `Authorization: Bearer <token>`):
 *
 * - `GET /dashboard/api/snapshot` returns a `snapshot`;
 * - `GET /dashboard/api/changes?epoch=E&since=N` returns `{ messages: [...] }`:
 *   the diffs after `seq` N, a `heartbeat` when there is none, or a
 *   `snapshot` when the server no longer stores every diff after N or runs
 *   under another epoch (it restarted).
 *
 * Example diff: an agent reported once and an alert fired.
 *
 * ```json
 * {"type":"diff","epoch":"k2x9","seq":42,"now":1767225600250,
 *  "changed":[{"id":"web-1","lastSeen":1767225600120,"values":[12.5,40.1,71,0.42],"appended":[[12.5],[40.1],[71],[0.42]]}],
 *  "firing":[{"fingerprint":"9a83…","rule":"HighCPU","severity":"critical","agentId":"web-2","activeAt":1767225540000,"firingSince":1767225600000,"value":97,"summary":"CPU on web-2 at 97%","silencesAgent":false}]}
 * ```
 */

/** WebSocket subprotocol that the server selects. */
export const DASHBOARD_SUBPROTOCOL = 'fleetpulse.dashboard.v1';

/** The metrics shown per agent, in the order of every `values`, `sparklines` and `appended` array. */
export const DASHBOARD_METRICS = ['cpu_usage', 'mem_used_pct', 'disk_used_pct', 'latency_ms'] as const;
export type DashboardMetric = (typeof DASHBOARD_METRICS)[number];

/**
 * `up`: reported within `lateIntervals` report intervals. `late`: not within
 * them. `silent`: a dead-man alert of the agent fires, or nothing arrived for
 * longer than the agent's dead-man timeout (`silentAfterMs`).
 */
export type AgentStatus = 'up' | 'late' | 'silent';
export const AGENT_STATUSES: readonly AgentStatus[] = ['up', 'late', 'silent'];

export type AlertSeverity = 'critical' | 'warning' | 'info';

/** Agent entry of a snapshot or of a diff's `added` list. */
export interface AgentView {
  id: string;
  status: AgentStatus;
  /** Gateway receive time of the agent's newest batch, ms since the Unix epoch. */
  lastSeen: number;
  /** The agent's report interval, estimated from its sample times. */
  intervalMs: number;
  /** Silence after which the agent counts as silent, which is its dead-man timeout. */
  silentAfterMs: number;
  tags: Record<string, string>;
  /**
   * Newest value per DASHBOARD_METRICS entry, null when the agent never sent
   * it. disk_used_pct is the fullest mount, latency_ms the slowest target.
   */
  values: Array<number | null>;
  /** Recent values per DASHBOARD_METRICS entry, oldest first, at most `sparklinePoints` each. */
  sparklines: number[][];
}

/** Fields of an agent that changed. Absent fields keep their value. */
export interface AgentChange {
  id: string;
  status?: AgentStatus;
  lastSeen?: number;
  intervalMs?: number;
  silentAfterMs?: number;
  tags?: Record<string, string>;
  values?: Array<number | null>;
  /** Values to append to each sparkline, oldest first. The client drops the oldest values beyond `sparklinePoints`. */
  appended?: number[][];
}

/** A firing alert. */
export interface AlertView {
  fingerprint: string;
  rule: string;
  severity: AlertSeverity;
  agentId: string;
  /** Event time at which the condition became true, ms since the Unix epoch. */
  activeAt: number;
  /** Event time of the transition to firing. */
  firingSince: number;
  value: number;
  /** The rule's `summary` annotation, or an empty string. */
  summary: string;
  /** Whether this is a dead-man alert, which makes its agent silent. */
  silencesAgent: boolean;
}

/** Settings the page needs to show the state as the server derives it. */
export interface DashboardSettings {
  sparklinePoints: number;
  /** Number of report intervals without a batch after which an agent is late. */
  lateIntervals: number;
  /** Interval at which the page polls the changes endpoint while the socket is down. */
  pollIntervalMs: number;
}

interface Envelope {
  /** Identifier of one run of the dashboard role. Sequence numbers restart with it. */
  epoch: string;
  /** Sequence number of the newest diff that this message includes. */
  seq: number;
  /** Server time, ms since the Unix epoch. The page measures last-seen ages against it. */
  now: number;
}

export interface SnapshotMessage extends Envelope {
  type: 'snapshot';
  settings: DashboardSettings;
  agents: AgentView[];
  alerts: AlertView[];
}

/** Changes since the previous message. Empty lists are left out. */
export interface DiffMessage extends Envelope {
  type: 'diff';
  added?: AgentView[];
  changed?: AgentChange[];
  /** Ids of agents not seen for `dashboard.forget_after`. */
  removed?: string[];
  /** Alerts that started firing, or whose firing episode changed. */
  firing?: AlertView[];
  /** Fingerprints of alerts that stopped firing. */
  resolved?: string[];
}

export interface HeartbeatMessage extends Envelope {
  type: 'heartbeat';
}

export type ServerMessage = SnapshotMessage | DiffMessage | HeartbeatMessage;

/** The body of `GET /dashboard/api/changes`. */
export interface ChangesResponse {
  messages: ServerMessage[];
}

/** WebSocket close code, outside the standard ones, with which the server makes the page reconnect and authorize again. */
export const CLOSE_REAUTHORIZE = 4000;
