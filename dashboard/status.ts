import type { AgentStatus } from './client/protocol.js';

/** Inputs of an agent's status. */
export interface StatusInput {
  /** Gateway receive time of the agent's newest batch, ms since the Unix epoch. */
  lastSeen: number;
  intervalMs: number;
  /** The agent's dead-man timeout. */
  silentAfterMs: number;
  /** Whether a dead-man alert of the agent is firing. */
  deadmanFiring: boolean;
}

/**
 * Derives an agent's status at `now` on the processing clock, as absent()
 * and the dead-man groups measure silence: from the gateway's receive time,
 * never from sample timestamps. Silent wins over late, and a firing
 * dead-man alert makes the agent silent whatever its age.
 *
 * ```ts
 * deriveStatus({ lastSeen, intervalMs: 10_000, silentAfterMs: 60_000, deadmanFiring: false }, clock.now(), 2);
 * ```
 */
export function deriveStatus(input: StatusInput, now: number, lateIntervals: number): AgentStatus {
  if (input.deadmanFiring) return 'silent';
  const age = now - input.lastSeen;
  if (age > input.silentAfterMs) return 'silent';
  if (age > lateIntervals * input.intervalMs) return 'late';
  return 'up';
}

/** Dead-man group as the dashboard uses it: the agents it covers and the silence after which they count as silent. */
export interface DeadmanThreshold {
  name: string;
  /** Tags an agent must have, exactly. */
  match: Record<string, string>;
  /** Tags an agent must match, as fully anchored regular expressions. */
  matchRe: Record<string, string>;
  timeoutMs: number;
}

interface CompiledThreshold {
  match: Array<[string, string]>;
  matchRe: Array<[string, RegExp]>;
  timeoutMs: number;
}

/**
 * Lookup of each agent's dead-man timeout, which is the shortest timeout
 * among the dead-man groups whose tag matchers the agent's tags satisfy, or
 * the fallback when none does. Results are cached per distinct tag set,
 * because many agents of a fleet share one.
 */
export class DeadmanThresholds {
  private readonly groups: CompiledThreshold[];
  private readonly cache = new Map<string, number>();

  constructor(
    groups: readonly DeadmanThreshold[],
    private readonly fallbackMs: number,
  ) {
    this.groups = groups.map((group) => ({
      match: Object.entries(group.match),
      // The processor's rule language anchors =~ the same way.
      matchRe: Object.entries(group.matchRe).map(([tag, pattern]): [string, RegExp] => [tag, new RegExp(`^(?:${pattern})$`)]),
      timeoutMs: group.timeoutMs,
    }));
  }

  /** Returns the timeout for an agent with these tags. `tagsKey` identifies the tag set in the cache. */
  timeoutFor(tags: Record<string, string>, tagsKey: string): number {
    const cached = this.cache.get(tagsKey);
    if (cached !== undefined) return cached;

    let timeout = Number.POSITIVE_INFINITY;
    for (const group of this.groups) {
      if (group.timeoutMs < timeout && matches(group, tags)) timeout = group.timeoutMs;
    }
    if (timeout === Number.POSITIVE_INFINITY) timeout = this.fallbackMs;

    // Tag sets are few in a fleet, but an unbounded cache would grow with churn.
    if (this.cache.size >= MAX_CACHED_TAG_SETS) this.cache.clear();
    this.cache.set(tagsKey, timeout);
    return timeout;
  }
}

const MAX_CACHED_TAG_SETS = 10_000;

function matches(group: CompiledThreshold, tags: Record<string, string>): boolean {
  // Only own keys count, so a tag name such as `constructor` does not read Object.prototype.
  const tagValue = (tag: string): string | undefined => (Object.hasOwn(tags, tag) ? tags[tag] : undefined);
  for (const [tag, value] of group.match) {
    if (tagValue(tag) !== value) return false;
  }
  for (const [tag, pattern] of group.matchRe) {
    // A missing tag reads as the empty string, as in the rule language.
    if (!pattern.test(tagValue(tag) ?? '')) return false;
  }
  return true;
}
