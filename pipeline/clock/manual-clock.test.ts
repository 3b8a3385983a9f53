import t from 'tap';
import { ManualClock } from './manual-clock.js';

t.test('ManualClock runs timers in due order', async (t) => {
  const clock = new ManualClock(1_000);
  const fired: Array<[string, number]> = [];
  clock.setTimeout(() => fired.push(['late', clock.now()]), 300);
  clock.setTimeout(() => fired.push(['early', clock.now()]), 100);
  clock.setTimeout(() => fired.push(['tie', clock.now()]), 100);

  await clock.advance(250);
  t.same(fired, [['early', 1_100], ['tie', 1_100]]);
  t.equal(clock.now(), 1_250);

  await clock.advance(50);
  t.same(fired.at(-1), ['late', 1_300]);
});

t.test('ManualClock cancelled timer never runs', async (t) => {
  const clock = new ManualClock();
  let ran = false;
  const timer = clock.setTimeout(() => (ran = true), 10);
  timer.cancel();
  await clock.advance(100);
  t.equal(ran, false);
  t.equal(clock.pendingTimers, 0);
});

t.test('ManualClock chained sleeps within one advance', async (t) => {
  const clock = new ManualClock();
  const wakes: number[] = [];
  const loop = (async () => {
    for (let i = 0; i < 3; i++) {
      await clock.sleep(60_000);
      wakes.push(clock.now());
    }
  })();

  await clock.advance(3 * 60_000);
  await loop;
  t.same(wakes, [60_000, 120_000, 180_000]);
});

t.test('ManualClock sleep rejects on abort', async (t) => {
  const clock = new ManualClock();
  const controller = new AbortController();
  const sleeping = clock.sleep(1_000, controller.signal);
  controller.abort(new Error('stopped'));
  await t.rejects(sleeping, { message: 'stopped' });
});

t.test('ManualClock rejects moving backwards', async (t) => {
  const clock = new ManualClock(500);
  await t.rejects(clock.set(100), RangeError);
  await t.rejects(clock.advance(-1), RangeError);
});
