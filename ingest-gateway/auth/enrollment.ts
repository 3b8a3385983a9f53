import { type CredentialRecord, type CredentialStore, newClientId } from '../../pipeline/state/credential-store.js';
import { DEFAULT_SCRYPT_COST, hashSecret, newClientSecret } from './secret-hash.js';
import { METRICS_WRITE_SCOPE } from './tokens.js';

export interface CredentialRequest {
  /** The token subject: the agent's id, or the name of an operator client (a person or tool). */
  agentId: string;
  /** Agent group for rate limits and the `agent_group` tag. Defaults to `default`. */
  group?: string;
  tags?: Record<string, string>;
  /** Granted scopes, metrics:write by default. */
  scopes?: string[];
}

/**
 * Creates client credentials for an agent or operator client and returns the secret, which is
 * stored only as its scrypt hash and cannot be shown again.
 *
 * `scryptCost` lowers the hashing cost for throwaway stores (tests and
 * benchmarks). The cost is recorded in the hash, so verification uses the same cost.
 */
export async function createCredential(
  store: CredentialStore,
  request: CredentialRequest,
  options: { now?: number; scryptCost?: typeof DEFAULT_SCRYPT_COST } = {},
): Promise<{ record: CredentialRecord; clientSecret: string }> {
  const clientSecret = newClientSecret();
  const record: CredentialRecord = {
    clientId: newClientId(),
    agentId: request.agentId,
    group: request.group ?? 'default',
    tags: request.tags ?? {},
    scopes: request.scopes ?? [METRICS_WRITE_SCOPE],
    secretHash: await hashSecret(clientSecret, options.scryptCost ?? DEFAULT_SCRYPT_COST),
    createdAt: options.now ?? Date.now(),
  };
  await store.create(record);
  return { record, clientSecret };
}
