import { compareText } from './compare.js';
import { type AgentFilter, matchesFilter } from './filter.js';
import type { AgentChange, AgentStatus, AgentView, AlertView, DashboardSettings, DiffMessage, ServerMessage } from './protocol.js';

/** An agent as the page stores it. */
export interface ClientAgent extends AgentView {
  /** Revision counter, incremented on every change so that a rendered row can tell when to redraw. */
  rev: number;
  /** The id in lower case, for search. */
  searchKey: string;
}

/**
 * Result of `FleetModel.apply`. `resync` means the message does not follow
 * the model's state (after a missed diff or a server restart), so the page
 * needs a new snapshot.
 */
export type ApplyOutcome = 'applied' | 'resync';

const STATUS_ORDER: Record<AgentStatus, number> = { silent: 0, late: 1, up: 2 };

/**
 * The page's copy of the fleet, built from a snapshot and the diffs that
 * follow it (see protocol.ts for their order and rules).
 *
 * ```ts
 * const model = new FleetModel();
 * if (model.apply(message, Date.now()) === 'resync') requestSnapshot();
 * const rows = model.select({ search: 'web', tags: [], statuses: new Set() });
 * ```
 */
export class FleetModel {
  epoch: string | undefined;
  /** Sequence number of the newest snapshot or diff applied, or -1 before the first snapshot. */
  seq = -1;
  settings: DashboardSettings = { sparklinePoints: 30, lateIntervals: 2, pollIntervalMs: 2_000 };
  readonly agents = new Map<string, ClientAgent>();
  readonly alerts = new Map<string, AlertView>();
  /** Server time minus page time at the last message, in ms. Ages are measured on the server's clock. */
  clockOffsetMs = 0;
  /** Change counter, incremented on every snapshot or diff applied. */
  version = 0;
  /**
   * Layout counter, incremented when an agent is added or removed or a status
   * or tag set changes, because filtering and order depend on those.
   */
  layoutVersion = 0;

  private selection: { key: string; layoutVersion: number; agents: ClientAgent[] } | undefined;

  get synchronized(): boolean {
    return this.seq >= 0;
  }

  /** Applies one message received at page time `localNow`. */
  apply(message: ServerMessage, localNow: number): ApplyOutcome {
    if (message.type === 'snapshot') {
      this.applySnapshot(message);
    } else {
      if (message.epoch !== this.epoch || message.seq > this.seq + (message.type === 'diff' ? 1 : 0)) return 'resync';
      // A diff at or below this model's seq was already applied, so it is skipped.
      if (message.type === 'diff' && message.seq === this.seq + 1 && !this.applyDiff(message)) return 'resync';
    }
    this.clockOffsetMs = message.now - localNow;
    return 'applied';
  }

  /** Returns the server's time at page time `localNow`. */
  serverNow(localNow: number): number {
    return localNow + this.clockOffsetMs;
  }

  /** Counts the agents per status. */
  counts(): Record<AgentStatus, number> {
    const counts: Record<AgentStatus, number> = { up: 0, late: 0, silent: 0 };
    for (const agent of this.agents.values()) counts[agent.status] += 1;
    return counts;
  }

  /**
   * Returns the agents that pass the filter: silent first, then late, then up,
   * each group sorted by id. The result is cached until the layout or the
   * filter changes.
   */
  select(filter: AgentFilter): ClientAgent[] {
    const key = filterKey(filter);
    if (this.selection && this.selection.key === key && this.selection.layoutVersion === this.layoutVersion) return this.selection.agents;

    const agents: ClientAgent[] = [];
    for (const agent of this.agents.values()) {
      if (matchesFilter(agent, filter, agent.searchKey)) agents.push(agent);
    }
    agents.sort(compareAgents);
    this.selection = { key, layoutVersion: this.layoutVersion, agents };
    return agents;
  }

  /** Returns the firing alerts, most severe first, then newest first. */
  firingAlerts(): AlertView[] {
    const rank: Record<string, number> = { critical: 0, warning: 1, info: 2 };
    return [...this.alerts.values()].sort((a, b) => (rank[a.severity] ?? 3) - (rank[b.severity] ?? 3) || b.firingSince - a.firingSince);
  }

  /** Returns up to `limit` of the most common `key=value` tags, for the filter's suggestions. */
  tagSuggestions(limit: number): string[] {
    const counts = new Map<string, number>();
    for (const agent of this.agents.values()) {
      for (const [key, value] of Object.entries(agent.tags)) {
        const term = `${key}=${value}`;
        counts.set(term, (counts.get(term) ?? 0) + 1);
      }
    }
    return [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]))
      .slice(0, limit)
      .map(([term]) => term);
  }

  private applySnapshot(message: Extract<ServerMessage, { type: 'snapshot' }>): void {
    this.epoch = message.epoch;
    this.seq = message.seq;
    this.settings = message.settings;
    this.agents.clear();
    for (const view of message.agents) this.agents.set(view.id, toClientAgent(view));
    this.alerts.clear();
    for (const alert of message.alerts) this.alerts.set(alert.fingerprint, alert);
    this.version += 1;
    this.layoutVersion += 1;
  }

  /** Returns false when the diff changes an agent this model does not have. */
  private applyDiff(message: DiffMessage): boolean {
    let layoutChanged = false;
    for (const id of message.removed ?? []) {
      if (this.agents.delete(id)) layoutChanged = true;
    }
    for (const view of message.added ?? []) {
      this.agents.set(view.id, toClientAgent(view));
      layoutChanged = true;
    }
    for (const change of message.changed ?? []) {
      const agent = this.agents.get(change.id);
      if (!agent) return false;
      if (this.applyChange(agent, change)) layoutChanged = true;
    }
    for (const fingerprint of message.resolved ?? []) this.alerts.delete(fingerprint);
    for (const alert of message.firing ?? []) this.alerts.set(alert.fingerprint, alert);

    this.seq = message.seq;
    this.version += 1;
    if (layoutChanged) this.layoutVersion += 1;
    return true;
  }

  /** Returns whether the change moves the agent in the list (status or tags). */
  private applyChange(agent: ClientAgent, change: AgentChange): boolean {
    let layoutChanged = false;
    if (change.status !== undefined && change.status !== agent.status) {
      agent.status = change.status;
      layoutChanged = true;
    }
    if (change.tags !== undefined) {
      agent.tags = change.tags;
      layoutChanged = true;
    }
    if (change.lastSeen !== undefined) agent.lastSeen = change.lastSeen;
    if (change.intervalMs !== undefined) agent.intervalMs = change.intervalMs;
    if (change.silentAfterMs !== undefined) agent.silentAfterMs = change.silentAfterMs;
    if (change.values !== undefined) agent.values = change.values;
    if (change.appended !== undefined) {
      const limit = this.settings.sparklinePoints;
      change.appended.forEach((points, metric) => {
        if (points.length === 0) return;
        const line = (agent.sparklines[metric] ??= []);
        line.push(...points);
        if (line.length > limit) line.splice(0, line.length - limit);
      });
    }
    agent.rev += 1;
    return layoutChanged;
  }
}

/** Orders agents by status (silent, late, up), then by id. */
function compareAgents(a: ClientAgent, b: ClientAgent): number {
  return STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || compareText(a.id, b.id);
}

function toClientAgent(view: AgentView): ClientAgent {
  return { ...view, rev: 0, searchKey: view.id.toLowerCase() };
}

function filterKey(filter: AgentFilter): string {
  return JSON.stringify([filter.search.toLowerCase(), filter.tags.map((matcher) => `${matcher.key}${matcher.negated ? '!=' : '='}${matcher.value}`), [...filter.statuses].sort()]);
}
