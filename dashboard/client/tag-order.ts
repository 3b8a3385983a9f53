import { compareText } from './compare.js';

/**
 * The order in which the agent list shows an agent's tags. The gateway adds
 * host facts and `agent_group` to every agent, so they carry little
 * information about one agent and go last. The agent's own, rule and identity
 * tags come first, so `env` or `region` stay visible before the row clips its
 * tags.
 */

/**
 * Tags that the gateway derives from the host facts of a batch, in the
 * gateway's order. The list repeats HOST_FACT_TAGS in
 * pipeline/messages/metric-batch.ts because client/ imports nothing outside
 * itself.
 */
export const HOST_FACT_TAG_KEYS: readonly string[] = ['hostname', 'os', 'os_release', 'kernel', 'arch', 'platform'];

/** The tag that the gateway sets from the credentials' group, after the host facts. */
export const AGENT_GROUP_TAG_KEY = 'agent_group';

const TRAILING_KEYS = new Map([...HOST_FACT_TAG_KEYS, AGENT_GROUP_TAG_KEY].map((key, rank) => [key, rank]));

/**
 * Orders tags for display: other tags by key (by UTF-16 code unit, so `B` before `a`),
 * then the host facts in the gateway's order, then `agent_group`.
 *
 * ```ts
 * orderTags({ os: 'linux', env: 'prod', agent_group: 'default' });
 * // [['env', 'prod'], ['os', 'linux'], ['agent_group', 'default']]
 * ```
 */
export function orderTags(tags: Readonly<Record<string, string>>): Array<[key: string, value: string]> {
  const rank = (key: string): number => TRAILING_KEYS.get(key) ?? -1;
  return Object.entries(tags).sort(([a], [b]) => rank(a) - rank(b) || compareText(a, b));
}
