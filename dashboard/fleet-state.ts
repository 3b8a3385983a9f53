import type { AlertEvent } from '../pipeline/messages/alert-event.js';
import type { IngestedBatch } from '../pipeline/messages/metric-batch.js';
import type { AgentRecord } from '../pipeline/state/agent-registry.js';
import { AgentEntry } from './agent-entry.js';
import { AlertBook } from './alert-book.js';
import { summarizeSamples } from './batch-summary.js';
import type { AgentChange, AgentView, AlertView, DiffMessage } from './client/protocol.js';
import { DeadmanThresholds, deriveStatus } from './status.js';

export interface FleetStateOptions {
  sparklinePoints: number;
  /** Report interval assumed until an agent's sample times show its own. */
  defaultIntervalMs: number;
  lateIntervals: number;
  /** Dead-man timeouts, looked up by each agent's tags. */
  thresholds: DeadmanThresholds;
  /** Rule names whose firing alert makes its agent silent. */
  deadmanRules: ReadonlySet<string>;
  /** Silence after which an agent is removed. */
  forgetAfterMs: number;
}

/** The changes of one diff, without the envelope. */
export type FleetChanges = Omit<DiffMessage, 'type' | 'epoch' | 'seq' | 'now'>;

/**
 * State of the whole fleet as the dashboard shows it, and the diff engine.
 * Every update marks what it changed on the agent, and `takeDiff` collects
 * those marks into one diff and clears them. A snapshot taken right after
 * `takeDiff` and the diffs that follow it add up to the current state.
 *
 * ```ts
 * const fleet = new FleetState({ sparklinePoints: 30, defaultIntervalMs: 10_000, lateIntervals: 2, thresholds, deadmanRules, forgetAfterMs: 86_400_000 });
 * fleet.recordBatch(batch);
 * fleet.refresh(clock.now());
 * const changes = fleet.takeDiff(); // undefined when nothing changed
 * ```
 */
export class FleetState {
  private readonly agents = new Map<string, AgentEntry>();
  private readonly dirty = new Set<AgentEntry>();
  private readonly removed = new Set<string>();
  private readonly alerts: AlertBook;

  constructor(private readonly options: FleetStateOptions) {
    this.alerts = new AlertBook(options.deadmanRules);
  }

  get size(): number {
    return this.agents.size;
  }

  /** Applies a batch from the metrics topic. */
  recordBatch(batch: IngestedBatch): void {
    const entry = this.entryFor(batch.agentId);
    entry.seen(batch.receivedAt);
    this.applyTags(entry, batch.tags);

    const summary = summarizeSamples(batch.samples);
    entry.observeSampleTime(summary.newestTs);
    summary.points.forEach((points, metric) => {
      if (points.length > 0) entry.addPoints(metric, points);
    });
    this.markIfChanged(entry);
  }

  /** Applies an agent from the registry: its last-seen time, tags and newest values. */
  recordRegistryAgent(record: AgentRecord): void {
    const entry = this.entryFor(record.agentId);
    entry.seen(record.lastSeen);
    this.applyTags(entry, record.tags);

    const summary = summarizeSamples(record.latest.map((latest) => ({ metric: latest.metric, value: latest.value, ts: latest.ts, labels: latest.labels })));
    summary.points.forEach((points, metric) => {
      // Series of one metric may have different newest times, so one point at the newest time carries the maximum of their values.
      const newest = points.at(-1);
      if (newest) entry.addPoints(metric, [{ ts: newest.ts, value: Math.max(...points.map((point) => point.value)) }]);
    });
    this.markIfChanged(entry);
  }

  /** Applies a transition from the alerts topic. */
  recordAlert(event: AlertEvent): void {
    // A dead-man change shows as a status change at the next refresh.
    this.alerts.record(event);
  }

  /** Derives every agent's status at `now` and removes the agents not seen for `forgetAfterMs`. */
  refresh(now: number): void {
    const { lateIntervals, forgetAfterMs } = this.options;
    for (const entry of this.agents.values()) {
      if (now - entry.lastSeen > forgetAfterMs) {
        this.remove(entry);
        continue;
      }
      const status = deriveStatus(
        { lastSeen: entry.lastSeen, intervalMs: entry.intervalMs, silentAfterMs: entry.silentAfterMs, deadmanFiring: this.alerts.deadmanFiring(entry.id) },
        now,
        lateIntervals,
      );
      if (entry.setStatus(status)) this.dirty.add(entry);
    }
    this.alerts.prune(now - forgetAfterMs);
  }

  /** Collects and clears the changes since the previous call. Returns undefined when nothing changed. */
  takeDiff(): FleetChanges | undefined {
    const added: AgentView[] = [];
    const changed: AgentChange[] = [];
    for (const entry of this.dirty) {
      if (!entry.announced) added.push(entry.view());
      else changed.push(entry.change());
      entry.clearChanges();
    }
    this.dirty.clear();
    const removed = [...this.removed];
    this.removed.clear();
    const { firing, resolved } = this.alerts.takeChanges();

    const changes: FleetChanges = {};
    if (added.length > 0) changes.added = added;
    if (changed.length > 0) changes.changed = changed;
    if (removed.length > 0) changes.removed = removed;
    if (firing.length > 0) changes.firing = firing;
    if (resolved.length > 0) changes.resolved = resolved;
    return Object.keys(changes).length > 0 ? changes : undefined;
  }

  /**
   * Returns every agent and firing alert. Call it right after `takeDiff`, so
   * that no change is both in the snapshot and in the next diff.
   */
  snapshot(): { agents: AgentView[]; alerts: AlertView[] } {
    const agents: AgentView[] = [];
    for (const entry of this.agents.values()) agents.push(entry.view());
    return { agents, alerts: this.alerts.list() };
  }

  private entryFor(agentId: string): AgentEntry {
    let entry = this.agents.get(agentId);
    if (!entry) {
      entry = new AgentEntry(agentId, this.options.sparklinePoints, this.options.defaultIntervalMs);
      this.agents.set(agentId, entry);
      this.dirty.add(entry);
    }
    return entry;
  }

  private applyTags(entry: AgentEntry, tags: Record<string, string>): void {
    const key = tagSetKey(tags);
    if (!entry.setTags(tags, key) && Number.isFinite(entry.silentAfterMs)) return;
    entry.setSilentAfter(this.options.thresholds.timeoutFor(tags, key));
  }

  private markIfChanged(entry: AgentEntry): void {
    if (entry.changes !== 0 || entry.appended) this.dirty.add(entry);
  }

  private remove(entry: AgentEntry): void {
    this.agents.delete(entry.id);
    this.dirty.delete(entry);
    // An agent that no diff carried yet needs no removal either.
    if (entry.announced) this.removed.add(entry.id);
  }
}

/** Returns text that is equal for equal tag sets, whatever their key order. */
export function tagSetKey(tags: Record<string, string>): string {
  const keys = Object.keys(tags);
  if (keys.length > 1) keys.sort();
  let key = '';
  for (const name of keys) key += `${JSON.stringify(name)}:${JSON.stringify(tags[name])},`;
  return key;
}
