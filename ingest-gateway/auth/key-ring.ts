import { calculateJwkThumbprint, type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Clock, Timer } from '../../pipeline/clock/index.js';
import type { Logger } from '../../pipeline/log/logger.js';
import type { SigningKeyStore, StoredSigningKey } from '../../pipeline/state/signing-key-store.js';

export type SigningAlgorithm = 'EdDSA' | 'ES256';

export interface KeyRingOptions {
  store: SigningKeyStore;
  /** Algorithm of newly generated keys. Existing keys keep theirs. */
  algorithm: SigningAlgorithm;
  /** Age at which the signing key is replaced. */
  rotationMs: number;
  /**
   * How long a replaced key stays published. Set it to at least the token
   * lifetime plus the refresh interval, because another replica may sign with
   * the key that much longer, plus the clock tolerance.
   */
  retentionMs: number;
  /** Interval of `start`'s rereads of the store. */
  refreshMs: number;
  clock: Clock;
  logger: Logger;
}

interface LoadedKey {
  stored: StoredSigningKey;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

/** Shortest time between two rereads of the store for a token with an unknown kid. */
const UNKNOWN_KID_REFRESH_MS = 1_000;

/**
 * Token signing keys of the gateway. The newest key signs, and every key
 * whose tokens may still be valid verifies tokens and is published in the
 * JWKS. Keys live in a SigningKeyStore, so a restart keeps them and replicas
 * share them.
 *
 * ```ts
 * const ring = await SigningKeyRing.open({ store, algorithm: 'EdDSA', rotationMs, retentionMs, refreshMs, clock, logger });
 * ring.start();
 * const { kid, privateKey } = ring.signingKey();
 * ```
 */
export class SigningKeyRing {
  private keys: LoadedKey[] = [];
  private timer: Timer | undefined;
  private lastUnknownKidRefresh = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;

  private constructor(private readonly options: KeyRingOptions) {}

  /** Loads the stored keys and rotates first when there is none or the newest is due. */
  static async open(options: KeyRingOptions): Promise<SigningKeyRing> {
    const ring = new SigningKeyRing(options);
    await ring.refresh();
    return ring;
  }

  /** Rereads the store every `refreshMs` until `stop`. */
  start(): void {
    const schedule = (): void => {
      this.timer = this.options.clock
        .setTimeout(() => {
          this.refresh()
            .catch((error: unknown) => this.options.logger.warn({ err: error }, 'rereading the signing keys failed; the loaded keys stay in use'))
            .finally(schedule);
        }, this.options.refreshMs)
        .unref();
    };
    schedule();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Returns the key that signs new tokens. */
  signingKey(): { kid: string; alg: SigningAlgorithm; privateKey: CryptoKey } {
    const current = this.keys.at(-1);
    if (!current) throw new Error('the signing key ring has no key; open() must finish first');
    return { kid: current.stored.kid, alg: current.stored.alg as SigningAlgorithm, privateKey: current.privateKey };
  }

  /** Returns the public keys that verify tokens, as a JWK Set (RFC 7517 section 5). */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((key) => ({ ...key.stored.publicJwk, kid: key.stored.kid, alg: key.stored.alg, use: 'sig' }) as JWK) };
  }

  /**
   * Returns the verification key for `kid`, or undefined when it is unknown.
   * An unknown kid starts a reread of the store, at most one per
   * UNKNOWN_KID_REFRESH_MS, because another replica may have rotated. Within
   * that time, an unknown kid waits for a reread that is still running.
   */
  async verificationKey(kid: string | undefined): Promise<{ key: CryptoKey; alg: string } | undefined> {
    const find = () => this.keys.find((key) => key.stored.kid === kid);
    let found = find();
    if (!found && kid !== undefined) {
      const now = this.options.clock.now();
      if (now - this.lastUnknownKidRefresh >= UNKNOWN_KID_REFRESH_MS) {
        this.lastUnknownKidRefresh = now;
        await this.refresh();
      } else if (this.refreshing) {
        await this.refreshing;
      }
      found = find();
    }
    return found ? { key: found.publicKey, alg: found.stored.alg } : undefined;
  }

  /** Replaces the signing key now, whatever its age. */
  async rotate(): Promise<void> {
    await this.rotateFrom(await this.options.store.load());
    await this.load();
  }

  /** Rereads the store, and rotates when it has no key or the newest is older than `rotationMs`. */
  async refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const stored = await this.options.store.load();
    const newest = stored.at(-1);
    if (!newest || this.options.clock.now() - newest.createdAt >= this.options.rotationMs) await this.rotateFrom(stored);
    await this.load();
  }

  private async rotateFrom(stored: StoredSigningKey[]): Promise<void> {
    const now = this.options.clock.now();
    const previous = stored.at(-1);
    const fresh = await generateSigningKey(this.options.algorithm, now);
    const retained = stored
      .map((key) => (key === previous ? { ...key, retiredAt: now } : key))
      .filter((key) => key.retiredAt === undefined || now - key.retiredAt < this.options.retentionMs);

    // A false result means that another replica rotated first, and load() then picks up its key.
    if (await this.options.store.replace(previous?.kid, [...retained, fresh])) {
      this.options.logger.info(
        { kid: fresh.kid, alg: fresh.alg, previousKid: previous?.kid, droppedKeys: stored.length - retained.length },
        previous ? 'rotated the token signing key; the previous public key stays published until its tokens expire' : 'created the token signing key',
      );
    }
  }

  private async load(): Promise<void> {
    const stored = await this.options.store.load();
    const now = this.options.clock.now();
    const live = stored.filter((key) => key.retiredAt === undefined || now - key.retiredAt < this.options.retentionMs);
    const byKid = new Map(this.keys.map((key) => [key.stored.kid, key]));
    const loaded: LoadedKey[] = [];
    for (const key of live) {
      const known = byKid.get(key.kid);
      if (known && known.stored.retiredAt === key.retiredAt) {
        loaded.push(known);
        continue;
      }
      loaded.push({
        stored: key,
        privateKey: (await importJWK(key.privateJwk as JWK, key.alg)) as CryptoKey,
        publicKey: (await importJWK(key.publicJwk as JWK, key.alg)) as CryptoKey,
      });
    }
    this.keys = loaded;
  }
}

/** Generates a key pair whose kid is its JWK thumbprint (RFC 7638). */
async function generateSigningKey(alg: SigningAlgorithm, now: number): Promise<StoredSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  return { kid: await calculateJwkThumbprint(publicJwk), alg, privateJwk: { ...privateJwk }, publicJwk: { ...publicJwk }, createdAt: now };
}
