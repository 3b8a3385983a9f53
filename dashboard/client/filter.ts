import type { AgentStatus } from './protocol.js';

/** One term of a tag filter: `key=value` or `key!=value`, where `*` in the value matches any text. */
export interface TagMatcher {
  key: string;
  negated: boolean;
  /** Tests a tag value. Callers test a missing tag as the empty string. */
  test(value: string): boolean;
  /** Value pattern as typed, with any `*`, for the heatmap's filter parameter. */
  value: string;
}

export interface AgentFilter {
  /** Case-insensitive substring of the agent id. The empty string matches every agent. */
  search: string;
  tags: readonly TagMatcher[];
  /** Statuses shown, or every status when the set is empty. */
  statuses: ReadonlySet<AgentStatus>;
}

const TERM = /^([A-Za-z_][A-Za-z0-9_]*)(!?=)(.*)$/;

/**
 * Parses a tag filter such as `env=prod role=db-* region!=eu-west`: terms
 * separated by spaces or commas, all of which must match. Returns the terms
 * that parsed and an error message for each that did not.
 *
 * ```ts
 * parseTagFilter('env=prod, role=db*').matchers.length; // 2
 * ```
 */
export function parseTagFilter(text: string): { matchers: TagMatcher[]; errors: string[] } {
  const matchers: TagMatcher[] = [];
  const errors: string[] = [];
  for (const term of text.split(/[\s,]+/).filter(Boolean)) {
    const match = TERM.exec(term);
    if (!match) {
      errors.push(`expected key=value or key!=value, found ${JSON.stringify(term)}`);
      continue;
    }
    const [, key, operator, value] = match as unknown as [string, string, string, string];
    const pattern = globPattern(value);
    matchers.push({ key, negated: operator === '!=', value, test: (candidate) => pattern.test(candidate) });
  }
  return { matchers, errors };
}

/** Returns whether an agent passes the filter. */
export function matchesFilter(agent: { id: string; status: AgentStatus; tags: Record<string, string> }, filter: AgentFilter, searchKey = agent.id.toLowerCase()): boolean {
  if (filter.statuses.size > 0 && !filter.statuses.has(agent.status)) return false;
  if (filter.search !== '' && !searchKey.includes(filter.search.toLowerCase())) return false;
  for (const matcher of filter.tags) {
    // Only own keys count, so a term such as `constructor=x` does not read Object.prototype.
    const value = Object.hasOwn(agent.tags, matcher.key) ? (agent.tags[matcher.key] ?? '') : '';
    if (matcher.test(value) === matcher.negated) return false;
  }
  return true;
}

/** Builds a fully anchored pattern in which `*` matches any text and every other character matches itself. */
function globPattern(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's');
}
