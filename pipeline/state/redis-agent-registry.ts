import { type ChainableCommander, Redis } from 'ioredis';
import type { HostFacts, IngestedBatch } from '../messages/metric-batch.js';
import { type AgentRecord, type AgentRegistry, latestBySeries, type LatestValue } from './agent-registry.js';

/**
 * Replaces a series' stored value only when the new sample is at least as
 * new, so that replicas writing out of order never move a value backwards.
 * KEYS[1] is the agent hash. ARGV is lastSeen, tagsJson, hostJson (empty
 * when the batch has no host facts, which keeps the stored ones), then
 * field/value/ts triples.
 */
const RECORD_SCRIPT = `
local key = KEYS[1]
local seen = tonumber(redis.call('HGET', key, '@lastSeen') or '0')
if tonumber(ARGV[1]) > seen then redis.call('HSET', key, '@lastSeen', ARGV[1]) end
redis.call('HSET', key, '@tags', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', key, '@host', ARGV[3]) end
for i = 4, #ARGV, 3 do
  local current = redis.call('HGET', key, ARGV[i])
  local newer = true
  if current then
    local ts = tonumber(string.match(current, '"ts":(%d+)'))
    if ts and ts > tonumber(ARGV[i + 2]) then newer = false end
  end
  if newer then redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
end
return 1
`;

/** Commands that defineCommand adds to the client and its pipelines. */
interface RegistryCommands {
  fleetpulseRecordAgent(key: string, ...args: string[]): ChainableCommander;
}

/** The agent registry of the distributed deployment, shared by every gateway replica. */
export class RedisAgentRegistry implements AgentRegistry {
  private readonly redis: Redis;
  private readonly indexKey: string;

  constructor(url: string, private readonly keyPrefix: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
    this.redis.defineCommand('fleetpulseRecordAgent', { numberOfKeys: 1, lua: RECORD_SCRIPT });
    this.indexKey = `${keyPrefix}agents`;
  }

  async record(batch: IngestedBatch): Promise<void> {
    const args: string[] = [String(batch.receivedAt), JSON.stringify(batch.tags), batch.host ? JSON.stringify(batch.host) : ''];
    for (const [key, latest] of latestBySeries(batch)) {
      args.push(`s:${key}`, JSON.stringify(latest), String(latest.ts));
    }

    const pipeline = this.redis.pipeline() as ChainableCommander & RegistryCommands;
    pipeline.zadd(this.indexKey, 'GT', batch.receivedAt, batch.agentId);
    pipeline.fleetpulseRecordAgent(this.agentKey(batch.agentId), ...args);
    const results = (await pipeline.exec()) ?? [];
    const failure = results.find(([error]) => error);
    if (failure) throw failure[0];
  }

  async list(): Promise<AgentRecord[]> {
    const ids = await this.redis.zrange(this.indexKey, 0, -1);
    ids.sort();
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.agentKey(id));
    const results = (await pipeline.exec()) ?? [];
    const records: AgentRecord[] = [];
    ids.forEach((id, i) => {
      const [error, hash] = results[i] ?? [];
      if (!error && hash) {
        const record = toRecord(id, hash as Record<string, string>);
        if (record) records.push(record);
      }
    });
    return records;
  }

  async get(agentId: string): Promise<AgentRecord | undefined> {
    return toRecord(agentId, await this.redis.hgetall(this.agentKey(agentId)));
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }

  private agentKey(agentId: string): string {
    return `${this.keyPrefix}agent:${agentId}`;
  }
}

function toRecord(agentId: string, hash: Record<string, string>): AgentRecord | undefined {
  if (!hash['@lastSeen']) return undefined;
  const latest: LatestValue[] = [];
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith('s:')) latest.push(JSON.parse(value) as LatestValue);
  }
  return {
    agentId,
    lastSeen: Number(hash['@lastSeen']),
    tags: JSON.parse(hash['@tags'] ?? '{}') as Record<string, string>,
    ...(hash['@host'] && { host: JSON.parse(hash['@host']) as HostFacts }),
    latest,
  };
}
