import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ChainableCommander, Redis } from 'ioredis';

/** The OAuth2 client credentials of one agent or operator client. The secret is stored only as a salted scrypt hash. */
export interface CredentialRecord {
  clientId: string;
  /** The agent, or the operator client (a person or tool), that these credentials belong to: the `sub` of every token issued with them. */
  agentId: string;
  /** Group that selects the rate limits of `gateway.rate_limits.groups` and becomes the agent's `agent_group` tag. `default` unless set. */
  group: string;
  /** Tags carried in the token. The gateway adds them to every batch of the agent, over the batch's own tags. */
  tags: Record<string, string>;
  /** Scopes the client may request, such as `metrics:write`. */
  scopes: string[];
  /** `scrypt$N$r$p$salt$hash`, as written by ingest-gateway/auth/secret-hash.ts. */
  secretHash: string;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  /** Revocation time, ms since the Unix epoch. Revoked credentials stay listed and are never valid again. */
  revokedAt?: number;
}

/** Error raised when a credential with the same client id exists already. */
export class CredentialExistsError extends Error {
  constructor(readonly clientId: string) {
    super(`a credential with client id ${JSON.stringify(clientId)} exists already`);
    this.name = 'CredentialExistsError';
  }
}

/**
 * Storage of the OAuth2 client credentials. The embedded deployment keeps
 * them in a file under data_dir, because `fleetpulse credentials` runs in
 * another process than the gateway and credentials must survive a restart.
 * The distributed deployment keeps them in Redis, shared by every gateway
 * replica.
 */
export interface CredentialStore {
  /** Stores a new credential, or rejects with CredentialExistsError when the client id is taken. */
  create(record: CredentialRecord): Promise<void>;
  get(clientId: string): Promise<CredentialRecord | undefined>;
  /** Returns every credential, revoked ones included, in creation order. */
  list(): Promise<CredentialRecord[]>;
  /** Marks credentials revoked and returns the ones that were still active. */
  revoke(clientIds: readonly string[], at: number): Promise<CredentialRecord[]>;
  /** Returns the client id and revocation time of every revoked credential. */
  revocations(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Generates a client id: `fpc_` and 16 random bytes in hexadecimal. */
export function newClientId(): string {
  return `fpc_${randomBytes(16).toString('hex')}`;
}

interface CredentialFile {
  version: 1;
  credentials: CredentialRecord[];
}

/**
 * Credentials in one JSON file, written with mode 0600 through a temporary
 * file and a rename, so a reader never sees a half-written file.
 *
 * NOTE: two processes that write at the same moment can lose one of the
 * writes, such as two `credentials create` commands. The embedded
 * deployment expects one operator at a time.
 */
export class FileCredentialStore implements CredentialStore {
  private cached: { mtimeMs: number; size: number; records: CredentialRecord[] } | undefined;

  constructor(private readonly file: string) {}

  async create(record: CredentialRecord): Promise<void> {
    const records = this.read();
    if (records.some((existing) => existing.clientId === record.clientId)) throw new CredentialExistsError(record.clientId);
    this.write([...records, record]);
  }

  async get(clientId: string): Promise<CredentialRecord | undefined> {
    return this.read().find((record) => record.clientId === clientId);
  }

  async list(): Promise<CredentialRecord[]> {
    return this.read();
  }

  async revoke(clientIds: readonly string[], at: number): Promise<CredentialRecord[]> {
    const requested = new Set(clientIds);
    const revoked: CredentialRecord[] = [];
    const records = this.read().map((record) => {
      if (!requested.has(record.clientId) || record.revokedAt !== undefined) return record;
      const updated = { ...record, revokedAt: at };
      revoked.push(updated);
      return updated;
    });
    if (revoked.length > 0) this.write(records);
    return revoked;
  }

  async revocations(): Promise<Map<string, number>> {
    const revoked = new Map<string, number>();
    for (const record of this.read()) if (record.revokedAt !== undefined) revoked.set(record.clientId, record.revokedAt);
    return revoked;
  }

  async close(): Promise<void> {}

  /** Reads the file again only when its modification time or size changed. */
  private read(): CredentialRecord[] {
    let stats;
    try {
      stats = statSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    if (this.cached && this.cached.mtimeMs === stats.mtimeMs && this.cached.size === stats.size) return this.cached.records;

    const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as CredentialFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.credentials)) {
      throw new Error(`${this.file} is not a fleetpulse credentials file (expected version 1 with a credentials list)`);
    }
    this.cached = { mtimeMs: stats.mtimeMs, size: stats.size, records: parsed.credentials };
    return parsed.credentials;
  }

  private write(records: CredentialRecord[]): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    const content: CredentialFile = { version: 1, credentials: records };
    writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
    this.cached = undefined;
  }
}

/**
 * Credentials in Redis: one hash of client id to the JSON record, and one
 * hash of client id to revocation time, which gateway replicas poll.
 */
export class RedisCredentialStore implements CredentialStore {
  private readonly redis: Redis;
  private readonly recordsKey: string;
  private readonly revokedKey: string;

  constructor(url: string, keyPrefix: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
    this.recordsKey = `${keyPrefix}credentials`;
    this.revokedKey = `${keyPrefix}credentials:revoked`;
  }

  async create(record: CredentialRecord): Promise<void> {
    const created = await this.redis.hsetnx(this.recordsKey, record.clientId, JSON.stringify(record));
    if (created !== 1) throw new CredentialExistsError(record.clientId);
  }

  async get(clientId: string): Promise<CredentialRecord | undefined> {
    const text = await this.redis.hget(this.recordsKey, clientId);
    return text === null ? undefined : (JSON.parse(text) as CredentialRecord);
  }

  async list(): Promise<CredentialRecord[]> {
    const all = await this.redis.hvals(this.recordsKey);
    return all.map((text) => JSON.parse(text) as CredentialRecord).sort((a, b) => a.createdAt - b.createdAt);
  }

  async revoke(clientIds: readonly string[], at: number): Promise<CredentialRecord[]> {
    const revoked: CredentialRecord[] = [];
    for (const clientId of clientIds) {
      const record = await this.get(clientId);
      if (!record || record.revokedAt !== undefined) continue;
      const updated = { ...record, revokedAt: at };
      // Gateway replicas poll the revocation hash, so it is written in the same transaction as the record.
      await execOrThrow(this.redis.multi().hset(this.revokedKey, clientId, String(at)).hset(this.recordsKey, clientId, JSON.stringify(updated)));
      revoked.push(updated);
    }
    return revoked;
  }

  async revocations(): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(this.revokedKey);
    return new Map(Object.entries(all).map(([clientId, at]) => [clientId, Number(at)]));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Runs a MULTI transaction and throws the first error of its commands, which `exec` reports only in its result. */
async function execOrThrow(transaction: ChainableCommander): Promise<void> {
  const results = (await transaction.exec()) ?? [];
  const failure = results.find(([error]) => error);
  if (failure) throw failure[0];
}
