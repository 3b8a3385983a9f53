import t from 'tap';
import { fullJitterDelayMs, parseRetryAfter } from './retry.js';

const policy = { initialDelayMs: 100, maxDelayMs: 1_000 };

t.test('fullJitterDelayMs doubles the ceiling per retry', async (t) => {
  const almostOne = 1 - Number.EPSILON;
  t.same([1, 2, 3, 4, 5].map((retry) => fullJitterDelayMs(policy, retry, () => almostOne)), [99, 199, 399, 799, 999]);
  t.equal(fullJitterDelayMs(policy, 3, () => 0), 0, 'the wait can be zero');
  t.equal(fullJitterDelayMs(policy, 1_000, () => 0.5), 500, 'huge retry numbers stay at the cap');
});

t.test('parseRetryAfter reads seconds and dates', async (t) => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  t.equal(parseRetryAfter('120', now), 120_000);
  t.equal(parseRetryAfter(' 0 ', now), 0);
  t.equal(parseRetryAfter('Sun, 01 Mar 2026 12:00:30 GMT', now), 30_000);
  t.equal(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now), 0, 'a past date means now');
  t.equal(parseRetryAfter('1.5', now), undefined);
  t.equal(parseRetryAfter('soon', now), undefined);
  t.equal(parseRetryAfter(null, now), undefined);
});
