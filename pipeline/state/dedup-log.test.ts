import t from 'tap';
import { ManualClock } from '../clock/index.js';
import { testServices, uniqueName } from '../test-support/services.js';
import { type DedupLog, MemoryDedupLog, RedisDedupLog } from './dedup-log.js';

const logs: Array<[string, () => DedupLog]> = [
  ['MemoryDedupLog', () => new MemoryDedupLog()],
  ['RedisDedupLog', () => new RedisDedupLog(testServices.redisUrl, `${uniqueName('test')}:`)],
];

for (const [name, make] of logs) {
  t.test(`${name} claims a key once`, async (t) => {
    const log = make();
    t.teardown(() => log.close());
    t.equal(await log.claim('fp:1:oncall', 60_000), true, 'first claim wins');
    t.equal(await log.claim('fp:1:oncall', 60_000), false, 'second claim is a duplicate');
    t.equal(await log.claim('fp:2:oncall', 60_000), true, 'other keys are independent');
  });

  t.test(`${name} release allows a new claim`, async (t) => {
    const log = make();
    t.teardown(() => log.close());
    await log.claim('fp:1:oncall', 60_000);
    await log.release('fp:1:oncall');
    t.equal(await log.claim('fp:1:oncall', 60_000), true);
    await log.release('never-claimed');
  });

  t.test(`${name} concurrent claims have one winner`, async (t) => {
    const log = make();
    t.teardown(() => log.close());
    const results = await Promise.all(Array.from({ length: 10 }, () => log.claim('fp:race', 60_000)));
    t.equal(results.filter(Boolean).length, 1);
  });

  t.test(`${name} rejects a bad TTL`, async (t) => {
    const log = make();
    t.teardown(() => log.close());
    await t.rejects(log.claim('k', 0), RangeError);
    await t.rejects(log.claim('k', 1.5), RangeError);
  });
}

t.test('MemoryDedupLog claim expires with the clock', async (t) => {
  const clock = new ManualClock(1_000);
  const log = new MemoryDedupLog(clock);
  await log.claim('a', 500);
  await log.claim('b', 500);
  await clock.advance(499);
  t.equal(await log.claim('a', 500), false, 'still held 1 ms before expiry');

  await clock.advance(1);
  t.equal(await log.claim('a', 500), true, 'free at expiry');
  t.equal(log.size, 1, 'expired b dropped, renewed a kept');
});

t.test('RedisDedupLog claim expires', async (t) => {
  const log = new RedisDedupLog(testServices.redisUrl, `${uniqueName('test')}:`);
  t.teardown(() => log.close());
  await log.claim('a', 50);
  await new Promise((resolve) => setTimeout(resolve, 120));
  t.equal(await log.claim('a', 60_000), true);
});

t.test('RedisDedupLog release keeps another instance claim', async (t) => {
  const prefix = `${uniqueName('test')}:`;
  const first = new RedisDedupLog(testServices.redisUrl, prefix);
  const second = new RedisDedupLog(testServices.redisUrl, prefix);
  t.teardown(async () => {
    await first.close();
    await second.close();
  });

  await first.claim('a', 50);
  await new Promise((resolve) => setTimeout(resolve, 120));
  t.equal(await second.claim('a', 60_000), true, 'second instance claims after expiry');
  await first.release('a');
  t.equal(await first.claim('a', 60_000), false, 'the late release left the second claim in place');
});
