import t from 'tap';
import { backoffCeilingMs, backoffDelayMs, parseRetryAfter } from './retry.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

t.test('backoffCeilingMs doubles up to the maximum', async (t) => {
  const ceilings = Array.from({ length: 8 }, (_, attempt) => backoffCeilingMs(attempt, 1_000, 60_000));
  t.same(ceilings, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
  t.equal(backoffCeilingMs(10_000, 1_000, 60_000), 60_000, 'a huge attempt count stays at the maximum');
});

t.test('backoffDelayMs stays within the ceiling', async (t) => {
  t.equal(backoffDelayMs(3, 1_000, 60_000, () => 0), 0);
  t.equal(backoffDelayMs(3, 1_000, 60_000, () => 0.5), 4_000);
  t.equal(backoffDelayMs(3, 1_000, 60_000, () => 0.999_999), 7_999);

  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = backoffCeilingMs(attempt, 1_000, 60_000);
    for (let draw = 0; draw < 200; draw++) {
      const delay = backoffDelayMs(attempt, 1_000, 60_000);
      if (delay < 0 || delay >= ceiling) t.fail(`attempt ${attempt}: delay ${delay} outside [0, ${ceiling})`);
    }
  }
  t.pass('every random delay lies in [0, ceiling)');
});

t.test('parseRetryAfter seconds', async (t) => {
  t.equal(parseRetryAfter('7', NOW), 7_000);
  t.equal(parseRetryAfter(' 0 ', NOW), 0);
  t.equal(parseRetryAfter('120', NOW), 120_000);
});

t.test('parseRetryAfter HTTP date', async (t) => {
  t.equal(parseRetryAfter(new Date(NOW + 12_000).toUTCString(), NOW), 12_000);
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', NOW), 30_000);
  t.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', NOW), 0, 'a date in the past means now');
});

t.test('parseRetryAfter unreadable values', async (t) => {
  t.equal(parseRetryAfter(null, NOW), undefined);
  t.equal(parseRetryAfter(undefined, NOW), undefined);
  t.equal(parseRetryAfter('', NOW), undefined);
  t.equal(parseRetryAfter('-1', NOW), undefined);
  t.equal(parseRetryAfter('1.5', NOW), undefined);
  t.equal(parseRetryAfter('soon', NOW), undefined);
});
