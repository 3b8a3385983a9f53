import t from 'tap';
import { ManualClock } from '../clock/index.js';
import { testServices, uniqueName } from '../test-support/services.js';
import { MemoryRateLimiter, type RateLimiter, RedisRateLimiter } from './rate-limiter.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const perMinute = (key: string, limit = 60) => ({ key, limit, periodMs: 60_000 });

t.test('MemoryRateLimiter allows a burst then one per interval', async (t) => {
  const clock = new ManualClock(T0);
  const limiter = new MemoryRateLimiter(clock);

  for (let i = 0; i < 3; i++) {
    const decision = await limiter.consume([perMinute('a', 3)]);
    t.equal(decision.allowed, true, `request ${i + 1} of the burst`);
    t.equal(decision.states[0]!.remaining, 2 - i);
  }
  const denied = await limiter.consume([perMinute('a', 3)]);
  t.equal(denied.allowed, false);
  t.equal(denied.retryAfterMs, 20_000, 'one request per 20 s once the burst is spent');
  t.equal(denied.states[0]!.remaining, 0);
  t.equal(denied.states[0]!.resetMs, 60_000);

  await clock.advance(20_000);
  t.equal((await limiter.consume([perMinute('a', 3)])).allowed, true, 'allowed again after the interval');
  t.equal((await limiter.consume([perMinute('b', 3)])).allowed, true, 'other keys are independent');
});

const limiters: Array<[string, () => RateLimiter]> = [
  ['MemoryRateLimiter', () => new MemoryRateLimiter(new ManualClock(T0))],
  ['RedisRateLimiter', () => new RedisRateLimiter(testServices.redisUrl, `${uniqueName('test')}:`)],
];

for (const [name, make] of limiters) {
  t.test(`${name} counts all limits or none`, async (t) => {
    const limiter = make();
    t.teardown(() => limiter.close());
    await limiter.consume([perMinute('agent', 1)]);

    const denied = await limiter.consume([perMinute('ip', 10), perMinute('agent', 1)]);
    t.equal(denied.allowed, false);
    t.equal(denied.states[0]!.remaining, 10, 'the IP limit was not charged for the rejected request');
    const next = await limiter.consume([perMinute('ip', 10)]);
    t.equal(next.states[0]!.remaining, 9);
  });
}

t.test('MemoryRateLimiter drops idle keys', async (t) => {
  const clock = new ManualClock(T0);
  const limiter = new MemoryRateLimiter(clock);
  await limiter.consume([perMinute('a')]);
  await limiter.consume([perMinute('b')]);
  t.equal(limiter.size, 2);
  await clock.advance(120_000);
  await limiter.consume([perMinute('c')]);
  t.equal(limiter.size, 1, 'a and b expired');
});

t.test('RedisRateLimiter shared by two replicas', async (t) => {
  const prefix = `${uniqueName('test')}:`;
  const first = new RedisRateLimiter(testServices.redisUrl, prefix);
  const second = new RedisRateLimiter(testServices.redisUrl, prefix);
  t.teardown(async () => {
    await first.close();
    await second.close();
  });

  const limit = { key: 'ingest:agent:web-1', limit: 4, periodMs: 60_000 };
  const results = await Promise.all([first, second, first, second, first, second].map((limiter) => limiter.consume([limit])));
  t.equal(results.filter((decision) => decision.allowed).length, 4, 'four of six requests allowed across both replicas');

  const denied = results.find((decision) => !decision.allowed)!;
  t.ok(denied.retryAfterMs > 14_000 && denied.retryAfterMs <= 15_000, `retry after about 15 s, found ${denied.retryAfterMs} ms`);
  t.equal(denied.states[0]!.remaining, 0);
  t.ok(denied.states[0]!.resetMs > 59_000 && denied.states[0]!.resetMs <= 60_000, `reset in about 60 s, found ${denied.states[0]!.resetMs} ms`);
});

t.test('RedisRateLimiter falls back to memory', async (t) => {
  const failures: unknown[] = [];
  // Nothing listens on port 1 of loopback, so every call fails at once.
  const limiter = new RedisRateLimiter('redis://127.0.0.1:1', 'x:', (error) => failures.push(error));
  t.teardown(() => limiter.close());
  const first = await limiter.consume([perMinute('a', 1)]);
  const second = await limiter.consume([perMinute('a', 1)]);
  t.equal(first.allowed, true);
  t.equal(second.allowed, false, 'the fallback still limits');
  t.equal(failures.length, 2);
});
