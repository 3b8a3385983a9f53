import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { GatewayHttpClient, type HttpResponse } from '../../agent/http-client.js';
import { createCredential } from '../../ingest-gateway/auth/enrollment.js';
import { localTlsPaths } from '../../ingest-gateway/tls/gateway-tls.js';
import type { FleetpulseConfig } from '../../pipeline/cli/config.js';
import { openCredentialStore } from '../../pipeline/cli/security.js';

/**
 * scrypt cost of the benchmark's throwaway credentials. The hash records its
 * cost, so the gateway verifies them as usual, only faster. The default cost
 * (N = 16,384) took about 0.1 s per hash on the benchmark machine, so
 * hashing and verifying the secrets of 1,000 agents would take minutes.
 */
const BENCH_SCRYPT_COST = { N: 1_024, r: 8, p: 1 };

/** Token requests in flight at once while the run fetches its tokens. */
const TOKEN_CONCURRENCY = 8;

/** Time after which one token request fails instead of stalling the run. */
const TOKEN_TIMEOUT_MS = 30_000;

/** Lists the agent ids that bench/ingest-processor.mjs rotates over: bench-agent-00000 and up. */
export function benchAgentIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `bench-agent-${String(i).padStart(5, '0')}`);
}

/** Creates client credentials for every agent id in the pipeline's credential store, before the pipeline starts. */
export async function createBenchCredentials(config: FleetpulseConfig, agentIds: string[]): Promise<Map<string, { clientId: string; clientSecret: string }>> {
  const store = openCredentialStore(config);
  const credentials = new Map<string, { clientId: string; clientSecret: string }>();
  try {
    for (const agentId of agentIds) {
      const { record, clientSecret } = await createCredential(store, { agentId }, { scryptCost: BENCH_SCRYPT_COST });
      credentials.set(agentId, { clientId: record.clientId, clientSecret });
    }
  } finally {
    await store.close();
  }
  return credentials;
}

/** Returns the path of the local CA under the run's data_dir, which the pipeline writes on its first start. */
export function benchCaFile(config: FleetpulseConfig): string {
  return localTlsPaths(config.data_dir).caCert;
}

/** Sends a GET over HTTPS that trusts the run's local CA. Throws while the pipeline has not written its CA yet. */
export async function getWithLocalCa(config: FleetpulseConfig, url: string): Promise<HttpResponse> {
  const caFile = benchCaFile(config);
  if (!existsSync(caFile)) throw new Error(`the pipeline has not written its CA ${caFile} yet`);
  const client = new GatewayHttpClient({ caFile });
  try {
    return await client.request({ method: 'GET', url, headers: {}, signal: AbortSignal.timeout(2_000) });
  } finally {
    client.close();
  }
}

/**
 * Obtains an access token per agent through POST /oauth/token with the
 * client credentials grant, and writes them as a JSON object of agent id to
 * token, which bench/ingest-processor.mjs reads.
 */
export async function fetchBenchTokens(
  config: FleetpulseConfig,
  baseUrl: string,
  credentials: Map<string, { clientId: string; clientSecret: string }>,
  file: string,
): Promise<void> {
  const client = new GatewayHttpClient({ caFile: benchCaFile(config) });
  const tokens: Record<string, string> = {};
  const queue = [...credentials];
  try {
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [agentId, { clientId, clientSecret }] = next;
        const response = await client.request({
          method: 'POST',
          url: `${baseUrl}/oauth/token`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
          signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
        });
        if (response.status !== 200) throw new Error(`POST /oauth/token for ${agentId} responded ${response.status}: ${response.body.slice(0, 200)}`);
        tokens[agentId] = (JSON.parse(response.body) as { access_token: string }).access_token;
      }
    };
    await Promise.all(Array.from({ length: TOKEN_CONCURRENCY }, worker));
  } finally {
    client.close();
  }
  await writeFile(file, JSON.stringify(tokens), { mode: 0o600 });
}
