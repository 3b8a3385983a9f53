import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Redis } from 'ioredis';

/** A token signing key pair as JSON Web Keys (RFC 7517). */
export interface StoredSigningKey {
  kid: string;
  /** JWS algorithm: EdDSA (Ed25519) or ES256 (P-256). */
  alg: string;
  /** The private JWK, `d` included. */
  privateJwk: Record<string, unknown>;
  publicJwk: Record<string, unknown>;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  /** Time at which a newer key replaced it for signing, ms since the Unix epoch. */
  retiredAt?: number;
}

/**
 * Storage of the token signing keys, oldest first, where the last one signs.
 * The embedded deployment keeps them in a file under data_dir. The
 * distributed one keeps them in Redis, so every gateway replica signs with
 * the same key and verifies the tokens of every other replica.
 */
export interface SigningKeyStore {
  load(): Promise<StoredSigningKey[]>;
  /**
   * Replaces the stored keys, unless the current (last) key's kid is no
   * longer `expectedCurrentKid`, which is undefined when no key is stored.
   * Two replicas that rotate at once thereby keep one new key. Returns
   * whether it wrote.
   */
  replace(expectedCurrentKid: string | undefined, keys: readonly StoredSigningKey[]): Promise<boolean>;
  close(): Promise<void>;
}

interface KeyFile {
  version: 1;
  keys: StoredSigningKey[];
}

/** Signing keys in one JSON file with mode 0600, for a single gateway process. */
export class FileSigningKeyStore implements SigningKeyStore {
  constructor(private readonly file: string) {}

  async load(): Promise<StoredSigningKey[]> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const parsed = JSON.parse(text) as KeyFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.keys)) throw new Error(`${this.file} is not a fleetpulse signing key file (expected version 1 with a keys list)`);
    return parsed.keys;
  }

  async replace(expectedCurrentKid: string | undefined, keys: readonly StoredSigningKey[]): Promise<boolean> {
    const current = (await this.load()).at(-1)?.kid;
    if (current !== expectedCurrentKid) return false;

    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    const content: KeyFile = { version: 1, keys: [...keys] };
    writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
    return true;
  }

  async close(): Promise<void> {}
}

/** Sets KEYS[1] to ARGV[2] only while the kid of its last key is ARGV[1], which is empty when no key is stored. */
const REPLACE_SCRIPT = `
local stored = redis.call('GET', KEYS[1])
local current = ''
if stored then
  local keys = cjson.decode(stored)
  if #keys > 0 then current = keys[#keys].kid end
end
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

interface ReplaceCommand {
  fleetpulseReplaceKeys(key: string, expectedKid: string, keysJson: string): Promise<number>;
}

/**
 * Signing keys as one JSON array in a Redis string. The private keys are in
 * Redis, so access to Redis must be as restricted as access to the keys.
 */
export class RedisSigningKeyStore implements SigningKeyStore {
  private readonly redis: Redis & ReplaceCommand;
  private readonly key: string;

  constructor(url: string, keyPrefix: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 }) as Redis & ReplaceCommand;
    this.redis.defineCommand('fleetpulseReplaceKeys', { numberOfKeys: 1, lua: REPLACE_SCRIPT });
    this.key = `${keyPrefix}signing-keys`;
  }

  async load(): Promise<StoredSigningKey[]> {
    const text = await this.redis.get(this.key);
    return text === null ? [] : (JSON.parse(text) as StoredSigningKey[]);
  }

  async replace(expectedCurrentKid: string | undefined, keys: readonly StoredSigningKey[]): Promise<boolean> {
    return (await this.redis.fleetpulseReplaceKeys(this.key, expectedCurrentKid ?? '', JSON.stringify(keys))) === 1;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
