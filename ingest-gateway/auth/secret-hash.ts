import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';

/**
 * scrypt cost: N = 2^14, r = 8, p = 1 needs 16 MiB and took 60 to 140 ms per
 * hash on a shared 2-core machine. Client secrets are 256 random bits, so
 * the salt and cost guard a leaked store rather than weak secrets, and every
 * token request pays this cost once.
 */
export const DEFAULT_SCRYPT_COST = { N: 16_384, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** scrypt needs 128 * N * r bytes. Node's default maxmem of 32 MiB would leave no room to raise N. */
const MAX_MEMORY = 64 * 1024 * 1024;

function scryptAsync(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { ...options, maxmem: MAX_MEMORY }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Generates a client secret: 32 random bytes in base64url, 256 bits of entropy. */
export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Hashes a client secret with scrypt and a random salt into
 * `scrypt$N$r$p$salt$hash` (base64url), so the parameters travel with the
 * hash and can be raised later without invalidating stored secrets.
 */
export async function hashSecret(secret: string, cost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await scryptAsync(secret, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/**
 * Checks a secret against a hash from hashSecret in constant time. Returns
 * false for a hash in another format, and raises when its scrypt parameters
 * are invalid, such as an N that is not a power of two.
 */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (![cost.N, cost.r, cost.p].every(Number.isInteger)) return false;

  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), cost);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
