import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ManualClock } from '../clock/index.js';
import type { SilenceInput } from '../messages/silence.js';
import { testServices, uniqueName } from '../test-support/services.js';
import { MemorySilenceStore, RedisSilenceStore, type SilenceStore } from './silence-store.js';

const T0 = Date.parse('2026-03-02T12:00:00Z');
const input = (overrides: Partial<SilenceInput> = {}): SilenceInput => ({
  matchers: [{ name: 'agent', operator: '=', value: 'web-1' }],
  startsAt: T0,
  endsAt: T0 + 3_600_000,
  createdBy: 'alice',
  comment: 'disk replacement',
  ...overrides,
});

const stores: Array<[string, (clock: ManualClock) => SilenceStore]> = [
  ['MemorySilenceStore', (clock) => new MemorySilenceStore({ clock, retentionMs: 86_400_000 })],
  ['RedisSilenceStore', (clock) => new RedisSilenceStore(testServices.redisUrl, `${uniqueName('test')}:`, { clock, retentionMs: 86_400_000 })],
];

for (const [name, make] of stores) {
  t.test(`${name} creates, lists and expires`, async (t) => {
    const clock = new ManualClock(T0);
    const store = make(clock);
    t.teardown(() => store.close());
    const later = await store.create(input({ startsAt: T0 + 60_000, comment: 'later' }));
    const now = await store.create(input());
    t.match(now.id, /^[0-9a-f-]{36}$/);
    t.equal(now.createdAt, T0);
    t.same(await store.get(now.id), now);
    t.same((await store.list()).map((silence) => silence.id), [now.id, later.id], 'ordered by start');

    await clock.advance(1_000);
    const expired = await store.expire(now.id);
    t.equal(expired?.endsAt, T0 + 1_000, 'ends now');
    t.equal((await store.get(now.id))?.endsAt, T0 + 1_000);
    const pending = await store.expire(later.id);
    t.equal(pending?.startsAt, T0 + 1_000, 'a pending silence gets now as start too');
    t.equal(await store.expire('no-such-id'), undefined);
  });

  t.test(`${name} drops silences after retention`, async (t) => {
    const clock = new ManualClock(T0);
    const store = make(clock);
    t.teardown(() => store.close());
    const silence = await store.create(input({ endsAt: T0 + 1_000 }));
    await clock.advance(86_400_000);
    t.equal((await store.list()).length, 1, 'still listed within retention');
    await clock.advance(2_000);
    t.same(await store.list(), [], 'dropped after it');
    t.equal(await store.get(silence.id), undefined);
  });
}

t.test('MemorySilenceStore persists to its file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-silences-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'nested', 'silences.json');
  const clock = new ManualClock(T0);
  const first = new MemorySilenceStore({ clock, file });
  const silence = await first.create(input());
  await first.close();
  t.match(JSON.parse(await readFile(file, 'utf8')), [{ id: silence.id, createdBy: 'alice' }]);

  const second = new MemorySilenceStore({ clock, file });
  t.same(await second.get(silence.id), silence, 'loaded after a restart');
  await second.expire(silence.id);
  const third = new MemorySilenceStore({ clock, file });
  t.equal((await third.get(silence.id))?.endsAt, T0, 'the expiry is saved');
});

t.test('MemorySilenceStore rejects a corrupt file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-silences-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'silences.json');
  await writeFile(file, '{not json');
  t.throws(() => new MemorySilenceStore({ file }), /silences file .* is not valid JSON/);
});
