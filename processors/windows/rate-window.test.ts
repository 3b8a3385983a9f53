import t from 'tap';
import { createWindow } from './window.js';

const rate = (samples: Array<[number, number]>, now: number, rangeMs = 60_000): number => {
  const window = createWindow({ fn: 'rate', rangeMs });
  for (const [ts, value] of samples) window.add(ts, value);
  window.advance(now);
  return window.value();
};

t.test('rate counts a counter reset', async (t) => {
  const samples: Array<[number, number]> = [
    [0, 100],
    [10_000, 150],
    [20_000, 20],
    [30_000, 50],
  ];
  // 50 before the reset, 20 counted in full after it, then 30, over 30 s.
  t.equal(rate(samples, 30_000), 100 / 30);
});

t.test('rate drops the increase of an evicted sample', async (t) => {
  const window = createWindow({ fn: 'rate', rangeMs: 25_000 });
  for (const [ts, value] of [[0, 100], [10_000, 150], [20_000, 20], [30_000, 50]] as const) window.add(ts, value);
  window.advance(20_000);
  t.equal(window.value(), (50 + 20) / 20, 'samples at 0, 10 s and 20 s');
  window.advance(30_000);
  t.equal(window.value(), (20 + 30) / 20, 'the sample at 0 left, and its increase of 50 with it');
  window.advance(45_000);
  t.same(window.value(), Number.NaN, 'one sample left');
});

t.test('rate splits an increase for a late sample', async (t) => {
  const window = createWindow({ fn: 'rate', rangeMs: 60_000 });
  window.add(0, 100);
  window.add(20_000, 120);
  window.advance(20_000);
  t.equal(window.value(), 1);
  window.add(10_000, 300);
  // 100 -> 300 is 200, then 300 -> 120 is a reset that counts 120.
  t.equal(window.value(), 320 / 20);
  window.add(-10_000, 50);
  t.equal(window.value(), (50 + 320) / 30, 'a late sample before the first adds one increase');
});

t.test('rate needs two times', async (t) => {
  t.same(rate([[5000, 1]], 5000), Number.NaN, 'one sample');
  t.same(rate([[5000, 1], [5000, 2]], 5000), Number.NaN, 'two samples at one time');
});

t.test('rate of large counters stays exact', async (t) => {
  // 2^50 plus small steps: a plain running sum would round each increase.
  const window = createWindow({ fn: 'rate', rangeMs: 300_000 });
  let counter = 2 ** 50;
  for (let step = 0; step < 100_000; step++) {
    counter += step % 3;
    window.add(step * 10_000, counter);
    window.advance(step * 10_000);
  }
  // The last 30 samples: 29 steps adding 0, 1, 2 in turn, over 290 s.
  let expected = 0;
  for (let step = 100_000 - 29; step < 100_000; step++) expected += step % 3;
  t.equal(window.value(), expected / 290);
});
