import type { Phase } from './lifecycle.js';

/**
 * What a processor checkpoints of one agent so that another replica, or the
 * same one after a crash, continues its alerts: last-seen times for the
 * dead-man's switch and the state of every alert instance whose condition
 * has held. Windows are not part of it; they are rebuilt by replaying the
 * bus. JSON-safe: times that are not known yet are null.
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

/** Converts a time that may be -Infinity or NaN to JSON-safe null. */
export const toSnapshotTime = (value: number): number | null => (Number.isFinite(value) ? value : null);
