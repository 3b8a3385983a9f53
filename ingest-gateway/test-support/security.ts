import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../pipeline/clock/index.js';
import { silentLogger, type Logger } from '../../pipeline/log/logger.js';
import { type CredentialRecord, type CredentialStore, FileCredentialStore } from '../../pipeline/state/credential-store.js';
import { MemoryRateLimiter, type RateLimiter } from '../../pipeline/state/rate-limiter.js';
import { FileSigningKeyStore, type SigningKeyStore } from '../../pipeline/state/signing-key-store.js';
import { createCredential, type CredentialRequest } from '../auth/enrollment.js';
import { type GatewayConfig, gatewayConfigSchema } from '../config.js';
import { GatewaySecurity } from '../security.js';

/** scrypt cost for test credentials: fast, and recorded in the hash like any other cost. */
export const TEST_SCRYPT_COST = { N: 1_024, r: 8, p: 1 };

export interface TestSecurityOptions {
  clock: Clock;
  config?: GatewayConfig;
  /** Stores to share with another gateway. Without them, the stores are files in a fresh temporary directory. */
  credentials?: CredentialStore;
  signingKeys?: SigningKeyStore;
  rateLimiter?: RateLimiter;
  logger?: Logger;
}

export interface TestSecurity {
  security: GatewaySecurity;
  credentials: CredentialStore;
  signingKeys: SigningKeyStore;
  rateLimiter: RateLimiter;
  /** The temporary directory of the file stores. */
  dataDir: string;
  /** Creates credentials on the first call for an agent and returns them with their secret. Later calls ignore `request`. */
  credentialFor(agentId: string, request?: Omit<CredentialRequest, 'agentId'>): Promise<{ record: CredentialRecord; clientSecret: string }>;
  /** Issues an access token for the agent's credentials without POST /oauth/token. `scopes` may include scopes that the credentials lack. */
  tokenFor(agentId: string, scopes?: string[]): Promise<string>;
  close(): Promise<void>;
}

/** Builds GatewaySecurity over file stores in a temporary directory and an in-memory rate limiter, for tests. */
export async function createTestSecurity(options: TestSecurityOptions): Promise<TestSecurity> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetpulse-security-'));
  const config = options.config ?? gatewayConfigSchema.parse({});
  const credentials = options.credentials ?? new FileCredentialStore(join(dataDir, 'credentials.json'));
  const signingKeys = options.signingKeys ?? new FileSigningKeyStore(join(dataDir, 'signing-keys.json'));
  const rateLimiter = options.rateLimiter ?? new MemoryRateLimiter(options.clock);
  const security = await GatewaySecurity.start({ config, credentials, signingKeys, rateLimiter, clock: options.clock, logger: options.logger ?? silentLogger });
  const created = new Map<string, { record: CredentialRecord; clientSecret: string }>();

  const credentialFor = async (agentId: string, request: Omit<CredentialRequest, 'agentId'> = {}) => {
    let credential = created.get(agentId);
    if (!credential) {
      credential = await createCredential(credentials, { agentId, ...request }, { now: options.clock.now(), scryptCost: TEST_SCRYPT_COST });
      created.set(agentId, credential);
    }
    return credential;
  };

  return {
    security,
    credentials,
    signingKeys,
    rateLimiter,
    dataDir,
    credentialFor,
    tokenFor: async (agentId, scopes) => {
      const { record } = await credentialFor(agentId);
      return (await security.issuer.issue(record, scopes ?? record.scopes)).token;
    },
    close: async () => {
      await security.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
