import type { HostFacts, IngestedBatch } from '../messages/metric-batch.js';
import { type AgentRecord, type AgentRegistry, latestBySeries, type LatestValue } from './agent-registry.js';

interface Entry {
  lastSeen: number;
  tags: Record<string, string>;
  host?: HostFacts;
  latest: Map<string, LatestValue>;
}

/** The agent registry of the embedded deployment. */
export class MemoryAgentRegistry implements AgentRegistry {
  private readonly agents = new Map<string, Entry>();

  async record(batch: IngestedBatch): Promise<void> {
    let entry = this.agents.get(batch.agentId);
    if (!entry) {
      entry = { lastSeen: 0, tags: {}, latest: new Map() };
      this.agents.set(batch.agentId, entry);
    }
    entry.lastSeen = Math.max(entry.lastSeen, batch.receivedAt);
    entry.tags = batch.tags;
    if (batch.host) entry.host = batch.host;
    for (const [key, value] of latestBySeries(batch)) {
      const current = entry.latest.get(key);
      if (!current || value.ts >= current.ts) entry.latest.set(key, value);
    }
  }

  async list(): Promise<AgentRecord[]> {
    return [...this.agents.keys()].sort().map((agentId) => this.toRecord(agentId, this.agents.get(agentId)!));
  }

  async get(agentId: string): Promise<AgentRecord | undefined> {
    const entry = this.agents.get(agentId);
    return entry ? this.toRecord(agentId, entry) : undefined;
  }

  async close(): Promise<void> {}

  private toRecord(agentId: string, entry: Entry): AgentRecord {
    return { agentId, lastSeen: entry.lastSeen, tags: entry.tags, ...(entry.host && { host: entry.host }), latest: [...entry.latest.values()] };
  }
}
