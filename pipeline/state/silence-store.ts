import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Redis } from 'ioredis';
import { type Clock, systemClock } from '../clock/index.js';
import type { Silence, SilenceInput } from '../messages/silence.js';

/**
 * Storage of silences. The distributed deployment keeps them in Redis, so
 * that every gateway and router replica reads the same ones. The embedded one
 * keeps them in memory, saved to a JSON file under data_dir. The gateway
 * creates, lists and expires silences, and the router rereads them with a
 * short refresh interval.
 *
 * A silence that expired more than `retentionMs` ago is dropped the next time
 * the store is listed, and by the file-backed memory store also on its next
 * write.
 */
export interface SilenceStore {
  create(input: SilenceInput): Promise<Silence>;
  get(id: string): Promise<Silence | undefined>;
  /** Returns every silence within retention, ordered by start time. */
  list(): Promise<Silence[]>;
  /** Ends the silence now (when it has not ended yet) and returns it, or returns undefined when no silence has that id. */
  expire(id: string): Promise<Silence | undefined>;
  close(): Promise<void>;
}

/** How long expired silences stay listed, as in Alertmanager's default data retention (120 h). */
export const DEFAULT_SILENCE_RETENTION_MS = 120 * 3_600_000;

export interface MemorySilenceStoreOptions {
  clock?: Clock;
  /** JSON file that keeps silences across restarts. Without it, silences are lost on restart. */
  file?: string;
  retentionMs?: number;
}

/**
 * The silence store of the embedded deployment. With `file`, every change
 * rewrites the file (to a temporary name, then renamed over it, so a crash
 * leaves either the old or the new content) before the call resolves, and
 * the constructor loads it.
 */
export class MemorySilenceStore implements SilenceStore {
  private readonly silences = new Map<string, Silence>();
  private readonly clock: Clock;
  private readonly retentionMs: number;
  /** Write in progress. Writes run one after another so the file ends with the newest content. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: MemorySilenceStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.retentionMs = options.retentionMs ?? DEFAULT_SILENCE_RETENTION_MS;
    if (options.file) this.load(options.file);
  }

  async create(input: SilenceInput): Promise<Silence> {
    const now = this.clock.now();
    const silence: Silence = { ...input, matchers: input.matchers.map((matcher) => ({ ...matcher })), id: randomUUID(), createdAt: now, updatedAt: now };
    this.silences.set(silence.id, silence);
    await this.save();
    return structuredClone(silence);
  }

  async get(id: string): Promise<Silence | undefined> {
    const silence = this.silences.get(id);
    return silence ? structuredClone(silence) : undefined;
  }

  async list(): Promise<Silence[]> {
    if (this.dropExpired()) await this.save();
    return sortByStart([...this.silences.values()].map((silence) => structuredClone(silence)));
  }

  async expire(id: string): Promise<Silence | undefined> {
    const silence = this.silences.get(id);
    if (!silence) return undefined;
    const now = this.clock.now();
    if (silence.endsAt > now) {
      endNow(silence, now);
      await this.save();
    }
    return structuredClone(silence);
  }

  async close(): Promise<void> {
    await this.writing;
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`cannot read the silences file ${file}: ${(error as Error).message}`);
    }
    let saved: unknown;
    try {
      saved = JSON.parse(text);
    } catch (error) {
      throw new Error(`the silences file ${file} is not valid JSON (${(error as Error).message}); fix or remove it`);
    }
    if (!Array.isArray(saved)) throw new Error(`the silences file ${file} must contain a JSON array of silences; fix or remove it`);
    for (const silence of saved as Silence[]) this.silences.set(silence.id, silence);
    this.dropExpired();
  }

  /** Drops silences past retention and returns whether any was dropped. */
  private dropExpired(): boolean {
    const cutoff = this.clock.now() - this.retentionMs;
    let dropped = false;
    for (const [id, silence] of this.silences) {
      if (silence.endsAt < cutoff) {
        this.silences.delete(id);
        dropped = true;
      }
    }
    return dropped;
  }

  private save(): Promise<void> {
    const file = this.options.file;
    if (!file) return Promise.resolve();
    this.dropExpired();
    const text = JSON.stringify([...this.silences.values()], null, 2);
    const write = async (): Promise<void> => {
      await mkdir(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, text, { mode: 0o600 });
      await rename(temporary, file);
    };
    const result = this.writing.then(write, write);
    this.writing = result.catch(() => undefined);
    return result;
  }
}

/**
 * The silence store of the distributed deployment: one Redis hash, with a
 * field per silence id that contains its JSON. Expiring reads, changes and
 * writes one field. Two replicas expiring the same silence at once both write
 * an end time at or before their own `now`, so either result ends it.
 */
export class RedisSilenceStore implements SilenceStore {
  private readonly redis: Redis;
  private readonly key: string;
  private readonly clock: Clock;
  private readonly retentionMs: number;

  constructor(url: string, keyPrefix: string, options: { clock?: Clock; retentionMs?: number } = {}) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
    this.key = `${keyPrefix}silences`;
    this.clock = options.clock ?? systemClock;
    this.retentionMs = options.retentionMs ?? DEFAULT_SILENCE_RETENTION_MS;
  }

  async create(input: SilenceInput): Promise<Silence> {
    const now = this.clock.now();
    const silence: Silence = { ...input, id: randomUUID(), createdAt: now, updatedAt: now };
    await this.redis.hset(this.key, silence.id, JSON.stringify(silence));
    return silence;
  }

  async get(id: string): Promise<Silence | undefined> {
    const text = await this.redis.hget(this.key, id);
    return text === null ? undefined : (JSON.parse(text) as Silence);
  }

  async list(): Promise<Silence[]> {
    const all = await this.redis.hgetall(this.key);
    const cutoff = this.clock.now() - this.retentionMs;
    const retained: Silence[] = [];
    const dropped: string[] = [];
    for (const [id, text] of Object.entries(all)) {
      const silence = JSON.parse(text) as Silence;
      if (silence.endsAt < cutoff) dropped.push(id);
      else retained.push(silence);
    }
    if (dropped.length > 0) await this.redis.hdel(this.key, ...dropped);
    return sortByStart(retained);
  }

  async expire(id: string): Promise<Silence | undefined> {
    const silence = await this.get(id);
    if (!silence) return undefined;
    const now = this.clock.now();
    if (silence.endsAt > now) {
      endNow(silence, now);
      await this.redis.hset(this.key, id, JSON.stringify(silence));
    }
    return silence;
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

/** Ends a silence at `now`. A pending one also gets `now` as its start, as Alertmanager does, so it never starts. */
function endNow(silence: Silence, now: number): void {
  if (silence.startsAt > now) silence.startsAt = now;
  silence.endsAt = now;
  silence.updatedAt = now;
}

function sortByStart(silences: Silence[]): Silence[] {
  return silences.sort((a, b) => a.startsAt - b.startsAt || a.id.localeCompare(b.id));
}
