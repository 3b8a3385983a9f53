import { GatewayHttpClient, type HttpResponse } from '../../../agent/http-client.js';
import { createCredential } from '../../../ingest-gateway/auth/enrollment.js';
import { TEST_SCRYPT_COST } from '../../../ingest-gateway/test-support/security.js';
import { localTlsPaths } from '../../../ingest-gateway/tls/gateway-tls.js';
import type { FleetpulseConfig } from '../config.js';
import { openCredentialStore } from '../security.js';

/**
 * Creates client credentials for `agentId` in the pipeline's credential
 * store and returns the agent configuration keys that use them with the
 * pipeline's local CA, as an operator would after `fleetpulse credentials create`.
 * `identity` sets the group and tags that the access token carries.
 */
export async function enrollAgent(
  config: FleetpulseConfig,
  agentId: string,
  identity: { group?: string; tags?: Record<string, string> } = {},
): Promise<{ client_id: string; client_secret: string; tls: { ca_file: string } }> {
  const store = openCredentialStore(config);
  try {
    const { record, clientSecret } = await createCredential(store, { agentId, ...identity }, { scryptCost: TEST_SCRYPT_COST });
    return { client_id: record.clientId, client_secret: clientSecret, tls: { ca_file: localTlsPaths(config.data_dir).caCert } };
  } finally {
    await store.close();
  }
}

/**
 * Creates operator client credentials with `scopes` in the pipeline's
 * credential store, as `fleetpulse credentials create --client NAME` would.
 */
export async function enrollOperator(config: FleetpulseConfig, name: string, scopes: string[] = ['read']): Promise<{ client_id: string; client_secret: string }> {
  const store = openCredentialStore(config);
  try {
    const { record, clientSecret } = await createCredential(store, { agentId: name, scopes }, { scryptCost: TEST_SCRYPT_COST });
    return { client_id: record.clientId, client_secret: clientSecret };
  } finally {
    await store.close();
  }
}

/** Creates an HTTPS client for the pipeline's gateway that trusts its local CA. */
export function gatewayClient(config: FleetpulseConfig, gatewayUrl: string) {
  const client = new GatewayHttpClient({ caFile: localTlsPaths(config.data_dir).caCert });
  return {
    get: (path: string, headers: Record<string, string> = {}): Promise<HttpResponse> => client.request({ method: 'GET', url: `${gatewayUrl}${path}`, headers }),
    post: (path: string, headers: Record<string, string>, body: string): Promise<HttpResponse> => client.request({ method: 'POST', url: `${gatewayUrl}${path}`, headers, body }),
    /** Obtains an access token through POST /oauth/token. */
    token: async (credentials: { client_id: string; client_secret: string }): Promise<string> => {
      const response = await client.request({
        method: 'POST',
        url: `${gatewayUrl}/oauth/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.client_id, client_secret: credentials.client_secret }).toString(),
      });
      if (response.status !== 200) throw new Error(`POST /oauth/token responded ${response.status}: ${response.body}`);
      return (JSON.parse(response.body) as { access_token: string }).access_token;
    },
    close: () => client.close(),
  };
}
