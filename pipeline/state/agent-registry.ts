import type { HostFacts, IngestedBatch } from '../messages/metric-batch.js';

/** The latest value of one series (metric and labels) of an agent. */
export interface LatestValue {
  metric: string;
  labels: Record<string, string>;
  value: number;
  ts: number;
}

export interface AgentRecord {
  agentId: string;
  /** Gateway receive time of the agent's latest batch, milliseconds since the Unix epoch. */
  lastSeen: number;
  /** The final tags of the agent's most recently recorded batch, as the gateway put them on the bus. */
  tags: Record<string, string>;
  /** Host facts of the most recently recorded batch that carried them, absent until the agent reports some. */
  host?: HostFacts;
  latest: LatestValue[];
}

/**
 * Every agent the gateways have heard from. In memory in the embedded
 * deployment; in Redis in the distributed one, so that every gateway
 * replica lists the whole fleet.
 */
export interface AgentRegistry {
  /** Records an accepted batch: last-seen time, tags, host facts and the newest value of each series. */
  record(batch: IngestedBatch): Promise<void>;
  list(): Promise<AgentRecord[]>;
  get(agentId: string): Promise<AgentRecord | undefined>;
  close(): Promise<void>;
}

/** Identifies a series within an agent: metric name and labels in key order. */
export function seriesKey(metric: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return metric;
  keys.sort();
  return `${metric}{${keys.map((key) => `${key}=${JSON.stringify(labels[key])}`).join(',')}}`;
}

/** Picks the newest sample of each series in a batch. */
export function latestBySeries(batch: IngestedBatch): Map<string, LatestValue> {
  const latest = new Map<string, LatestValue>();
  for (const sample of batch.samples) {
    const key = seriesKey(sample.metric, sample.labels);
    const current = latest.get(key);
    if (!current || sample.ts >= current.ts) {
      latest.set(key, { metric: sample.metric, labels: sample.labels, value: sample.value, ts: sample.ts });
    }
  }
  return latest;
}
