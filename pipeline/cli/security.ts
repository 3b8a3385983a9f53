import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { createCredential } from '../../ingest-gateway/auth/enrollment.js';
import { OPERATOR_SCOPES } from '../../ingest-gateway/auth/scopes.js';
import { localTlsPaths } from '../../ingest-gateway/tls/gateway-tls.js';
import type { Clock } from '../clock/index.js';
import type { Logger } from '../log/logger.js';
import { type CredentialStore, FileCredentialStore, RedisCredentialStore } from '../state/credential-store.js';
import { MemoryRateLimiter, type RateLimiter, RedisRateLimiter } from '../state/rate-limiter.js';
import { FileSigningKeyStore, RedisSigningKeyStore, type SigningKeyStore } from '../state/signing-key-store.js';
import { LogThrottle } from '../log/log-throttle.js';
import type { FleetpulseConfig } from './config.js';

/** The stores of credentials, signing keys and rate limit counters of one deployment. */
export interface SecurityStores {
  credentials: CredentialStore;
  signingKeys: SigningKeyStore;
  rateLimiter: RateLimiter;
  close(): Promise<void>;
}

/** Returns the paths of the security files under data_dir in the embedded deployment. */
export function securityFiles(dataDir: string) {
  return {
    credentials: resolve(dataDir, 'credentials.json'),
    signingKeys: resolve(dataDir, 'signing-keys.json'),
    localAgent: resolve(dataDir, 'local-agent-credentials.json'),
    /** The local operator's client_id and client_secret as a form body, for `curl -d @FILE`. */
    localOperator: resolve(dataDir, 'operator-credentials.txt'),
  };
}

/** Opens the credential store alone, for `fleetpulse credentials`. */
export function openCredentialStore(config: FleetpulseConfig): CredentialStore {
  if (config.deployment === 'embedded') return new FileCredentialStore(securityFiles(config.data_dir).credentials);
  return new RedisCredentialStore(config.state.redis.url, config.state.redis.key_prefix);
}

/**
 * Opens the security stores of the deployment. The embedded deployment uses
 * files under data_dir and an in-memory rate limiter. The distributed one uses
 * Redis, so every gateway replica shares credentials, revocations, signing
 * keys and rate limits.
 */
export function openSecurityStores(config: FleetpulseConfig, clock: Clock, logger: Logger): SecurityStores {
  const credentials = openCredentialStore(config);
  if (config.deployment === 'embedded') {
    const signingKeys = new FileSigningKeyStore(securityFiles(config.data_dir).signingKeys);
    const rateLimiter = new MemoryRateLimiter(clock);
    return { credentials, signingKeys, rateLimiter, close: async () => undefined };
  }

  const { url, key_prefix: prefix } = config.state.redis;
  const fallbackLog = new LogThrottle(clock, 60_000);
  const rateLimiter = new RedisRateLimiter(url, prefix, (error) => {
    const failures = fallbackLog.record();
    if (failures !== undefined) logger.warn({ err: error, failures }, 'rate limiter request to Redis failed, so this replica counts requests alone until Redis responds');
  }, clock);
  const signingKeys = new RedisSigningKeyStore(url, prefix);
  return {
    credentials,
    signingKeys,
    rateLimiter,
    close: async () => {
      await Promise.all([credentials.close(), signingKeys.close(), rateLimiter.close()]);
    },
  };
}

/** The client credentials of this host's local agent, kept in a 0600 file under data_dir across restarts. */
interface LocalAgentCredentials {
  client_id: string;
  client_secret: string;
  agent_id: string;
}

/**
 * Returns credentials for the local agent: the stored ones while they are
 * still active for the same agent id, otherwise new ones, which it saves to
 * the 0600 file.
 */
export async function localAgentCredentials(config: FleetpulseConfig, store: CredentialStore, agentId: string, logger: Logger): Promise<{ clientId: string; clientSecret: string }> {
  const file = securityFiles(config.data_dir).localAgent;
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as LocalAgentCredentials;
    const record = await store.get(stored.client_id);
    // Older versions copied local_agent.tags into the credentials, where they override every other tag source, so such credentials are replaced.
    const identityTags = Object.keys(record?.tags ?? {}).length > 0;
    if (record && record.revokedAt === undefined && record.agentId === agentId && !identityTags) return { clientId: stored.client_id, clientSecret: stored.client_secret };
  }

  // local_agent.tags travel on the batches as the agent's own tags, so tagging rules can override them.
  const { record, clientSecret } = await createCredential(store, { agentId });
  const content: LocalAgentCredentials = { client_id: record.clientId, client_secret: clientSecret, agent_id: agentId };
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  logger.info({ agentId, clientId: record.clientId, file }, 'created client credentials for the local agent');
  return { clientId: record.clientId, clientSecret };
}

/** The token subject of the operator credentials that the embedded deployment creates for itself. */
export const LOCAL_OPERATOR = 'local-operator';

/**
 * Returns the embedded deployment's own operator credentials, with every
 * operator scope, and the file that contains them: the stored ones while
 * they are still active, otherwise new ones. The file (mode 0600) is the form
 * body `client_id=...&client_secret=...`, so `curl -d @FILE` sends it to
 * POST /oauth/token. The log names the file and never the secret.
 */
export async function localOperatorCredentials(config: FleetpulseConfig, store: CredentialStore, logger: Logger): Promise<{ clientId: string; file: string }> {
  const file = securityFiles(config.data_dir).localOperator;
  if (existsSync(file)) {
    const stored = new URLSearchParams(readFileSync(file, 'utf8').trim());
    const clientId = stored.get('client_id');
    const record = clientId ? await store.get(clientId) : undefined;
    if (record && record.revokedAt === undefined && stored.get('client_secret')) return { clientId: record.clientId, file };
  }

  const { record, clientSecret } = await createCredential(store, { agentId: LOCAL_OPERATOR, scopes: [...OPERATOR_SCOPES] });
  writeFileSync(file, `${new URLSearchParams({ client_id: record.clientId, client_secret: clientSecret }).toString()}\n`, { mode: 0o600 });
  logger.info({ clientId: record.clientId, scopes: record.scopes, file }, 'created operator credentials for the read API and the dashboard');
  return { clientId: record.clientId, file };
}

/**
 * Formats the shell lines that request an operator token and read
 * /v1/agents with it. `clientAuthentication` is the curl option that sends
 * the client id and secret, such as `-u "fpc_...:$CLIENT_SECRET"`.
 */
export function operatorTokenCommands(options: { gatewayUrl: string; caFile: string; clientAuthentication: string }): string {
  const { gatewayUrl, caFile, clientAuthentication } = options;
  return [
    `TOKEN=$(curl -s --cacert "${caFile}" -d grant_type=client_credentials ${clientAuthentication} ${gatewayUrl}/oauth/token \\`,
    `  | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')`,
    `curl -s --cacert "${caFile}" -H "Authorization: Bearer $TOKEN" ${gatewayUrl}/v1/agents`,
  ].join('\n');
}

/**
 * Logs how people and tools get an operator token: from the local operator
 * credentials file when there is one, otherwise by creating credentials.
 * With `gateway.auth.operator_access: open` there is nothing to log, because
 * GatewaySecurity warns at startup.
 */
export function logOperatorAccess(config: FleetpulseConfig, gatewayUrl: string, logger: Logger, operatorFile: string | undefined, configFile: string | undefined): void {
  if (config.gateway.auth.operator_access === 'open') return;
  const caFile = trustedCaFile(config);
  if (operatorFile !== undefined) {
    logger.info(
      { file: operatorFile, tokenRequest: operatorTokenCommands({ gatewayUrl, caFile, clientAuthentication: `-d "@${operatorFile}"` }) },
      'the read API and the dashboard need an operator token: the operator credentials are in this file (mode 0600)',
    );
    return;
  }
  const configOption = configFile ? ` --config ${configFile}` : '';
  logger.info(
    { create: `npx fleetpulse credentials create${configOption} --client <name> --scope read,silences:write` },
    'the read API and the dashboard need an operator token: create operator credentials, then request a token at /oauth/token',
  );
}

/** Returns the URL that agents on other hosts use: the hostname instead of a wildcard address. */
export function publicGatewayUrl(serverUrl: string, config: FleetpulseConfig): string {
  if (config.gateway.host === '0.0.0.0' || config.gateway.host === '::') return serverUrl.replace(/^https:\/\/(0\.0\.0\.0|\[::\])/, `https://${hostname()}`);
  return serverUrl;
}

/** Returns the CA file that agents must trust: the local CA, or a placeholder when gateway.tls.cert_file is configured. */
export function trustedCaFile(config: FleetpulseConfig): string {
  return config.gateway.tls.cert_file ? '<the CA file that signed gateway.tls.cert_file>' : localTlsPaths(config.data_dir).caCert;
}

/** Formats the agent.yml lines for an agent that reports to this gateway. */
export function agentConfigLines(options: {
  agentId: string;
  gatewayUrl: string;
  caFile: string;
  clientId: string;
  secretHint: string;
  certFile?: string;
  keyFile?: string;
}): string {
  return [
    `agent_id: ${options.agentId}`,
    `gateway_url: ${options.gatewayUrl}`,
    'tls:',
    `  ca_file: ${options.caFile}`,
    ...(options.certFile ? [`  cert_file: ${options.certFile}`, `  key_file: ${options.keyFile}`] : []),
    `client_id: ${options.clientId}`,
    options.secretHint,
  ].join('\n');
}

/** Logs how to enroll an agent on another host. */
export function logEnrollment(config: FleetpulseConfig, gatewayUrl: string, logger: Logger, configFile: string | undefined): void {
  const configOption = configFile ? ` --config ${configFile}` : '';
  logger.info(
    {
      enroll: `npx fleetpulse credentials create${configOption} --agent-id <agent id>`,
      agentConfig: agentConfigLines({
        agentId: '<agent id>',
        gatewayUrl: publicGatewayUrl(gatewayUrl, config),
        caFile: trustedCaFile(config),
        clientId: '<client id printed by credentials create>',
        secretHint: 'client_secret_file: /etc/fleetpulse/client-secret   # or FLEETPULSE_AGENT_CLIENT_SECRET',
      }),
    },
    'to enroll an agent on another host, create its credentials and give it these agent.yml lines',
  );
}
