import type { Phase } from './lifecycle.js';

/**
 * Checkpoint of one agent, from which another replica, or the same one after
 * a crash, continues its alerts. It contains the last-seen times for the
 * dead-man's switch and the state of every alert instance whose condition
 * has held. Windows are not part of it, because replaying the bus rebuilds
 * them. Times that are not known yet are null, so the snapshot is JSON-safe.
 */
export interface AgentSnapshot {
  agentId: string;
  tags: Record<string, string>;
  firstReceivedAt: number | null;
  lastReceivedAt: number | null;
  watermark: number | null;
  instances: InstanceSnapshot[];
}

export interface InstanceSnapshot {
  rule: string;
  /** The anchor series the instance belongs to; null for a rule evaluated once per agent. */
  anchor: { metric: string; labels: Record<string, string> } | null;
  fingerprint: string;
  labels: Record<string, string>;
  lastValue: number | null;
  phase: Phase;
  activeAt: number;
  stoppedAt: number | null;
  sequence: number;
}

/** Returns the number, or null when it is not finite (-Infinity, NaN), which JSON cannot carry. */
export const toSnapshotTime = (value: number): number | null => (Number.isFinite(value) ? value : null);
