import { METRICS_WRITE_SCOPE } from './tokens.js';

/**
 * Scopes of people and tools: `read` for the read routes (agents, heatmaps,
 * silences, alert decisions, /metrics, the dashboard) and `silences:write`
 * for creating and expiring silences.
 */
export const OPERATOR_SCOPES = ['read', 'silences:write'] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

/** Every scope that credentials may have; agents have metrics:write. */
export const KNOWN_SCOPES: readonly string[] = [METRICS_WRITE_SCOPE, ...OPERATOR_SCOPES];

/** Raised for a scope list with an unknown or empty entry; the message names it and the known scopes. */
export class ScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScopeError';
  }
}

/**
 * Parses scope lists as given on the command line, each comma- or
 * space-separated, into known scopes without duplicates, in order.
 *
 * ```ts
 * parseScopes(['read,silences:write']); // ['read', 'silences:write']
 * ```
 */
export function parseScopes(lists: readonly string[]): string[] {
  const scopes: string[] = [];
  for (const list of lists) {
    const entries = list.split(/[\s,]+/).filter(Boolean);
    if (entries.length === 0) throw new ScopeError(`expected a scope, found ${JSON.stringify(list)}; known scopes: ${KNOWN_SCOPES.join(', ')}`);
    for (const scope of entries) {
      if (!KNOWN_SCOPES.includes(scope)) throw new ScopeError(`unknown scope ${JSON.stringify(scope)}; expected one of ${KNOWN_SCOPES.join(', ')}`);
      if (!scopes.includes(scope)) scopes.push(scope);
    }
  }
  return scopes;
}
