import t from 'tap';
import { SlidingWindowLimiter } from './rate-limit.js';

t.test('SlidingWindowLimiter allows max per window', async (t) => {
  const limiter = new SlidingWindowLimiter(3, 1_000);
  for (const now of [0, 100, 200]) {
    t.equal(limiter.waitMs(now), 0, `slot free at ${now}`);
    limiter.take(now);
  }
  t.equal(limiter.waitMs(300), 700, 'the oldest slot frees at 1000');
  t.equal(limiter.waitMs(999), 1);
  t.equal(limiter.waitMs(1_000), 0, 'free once the oldest leaves the window');
});

t.test('SlidingWindowLimiter no burst across windows', async (t) => {
  const limiter = new SlidingWindowLimiter(2, 1_000);
  limiter.take(900);
  limiter.take(950);
  // A fixed window would reset at 1000 and allow two more at once.
  t.equal(limiter.waitMs(1_001), 899, 'still two in the last second');
  t.equal(limiter.waitMs(1_900), 0);
  limiter.take(1_900);
  t.equal(limiter.waitMs(1_900), 50, 'the one taken at 950 frees at 1950');
});
