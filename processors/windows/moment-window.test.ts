import t from 'tap';
import { aggregateWindow, type Sample } from '../../grammar/window-reference.js';
import { exactMoments } from './test-support/exact-moments.js';
import { createWindow, type SlidingWindow } from './window.js';

const feed = (window: SlidingWindow, values: readonly number[], start = 0): void => {
  for (const [index, value] of values.entries()) window.add(start + index * 1000, value);
  window.advance(start + (values.length - 1) * 1000);
};

t.test('zscore of equal values is NaN', async (t) => {
  for (const value of [0.1, 5, -3e9, 1e-300]) {
    const zscore = createWindow({ fn: 'zscore', rangeMs: 60_000 });
    const stddev = createWindow({ fn: 'stddev', rangeMs: 60_000 });
    feed(zscore, [value, value, value]);
    feed(stddev, [value, value, value]);
    t.same(zscore.value(), Number.NaN, `zscore of ${value} three times`);
    t.equal(stddev.value(), 0, `stddev of ${value} three times`);
  }
});

t.test('zscore is NaN after a level change', async (t) => {
  const zscore = createWindow({ fn: 'zscore', rangeMs: 3500 });
  const stddev = createWindow({ fn: 'stddev', rangeMs: 3500 });
  for (const window of [zscore, stddev]) feed(window, [0.3, 0.3, 0.3, 0.7, 0.7, 0.7, 0.7]);
  t.same(zscore.value(), Number.NaN, 'only the samples of 0.7 are left');
  t.equal(stddev.value(), 0);
});

t.test('zscore of a known window', async (t) => {
  const zscore = createWindow({ fn: 'zscore', rangeMs: 60_000 });
  const stddev = createWindow({ fn: 'stddev', rangeMs: 60_000 });
  feed(zscore, [2, 4, 4, 4, 5, 5, 7, 9]);
  feed(stddev, [2, 4, 4, 4, 5, 5, 7, 9]);
  t.equal(stddev.value(), 2, 'mean 5, variance 4');
  t.equal(zscore.value(), 2, '(9 - 5) / 2');
});

t.test('stddev after an outlier leaves', async (t) => {
  const stddev = createWindow({ fn: 'stddev', rangeMs: 4500 });
  // 1e15 carries a rounding error near 0.1, and the window left behind has variance 1.25e-6.
  feed(stddev, [1e15, 0.001, 0.002, 0.003, 0.004]);
  t.ok(stddev.value() > 1e14, 'the outlier dominates');
  stddev.advance(5000);
  const expected = aggregateWindow('stddev', [0.001, 0.002, 0.003, 0.004].map((v, index): Sample => ({ t: index, v })));
  t.ok(Math.abs(stddev.value() - expected) <= 1e-12 * expected, `stddev ${stddev.value()} against ${expected}`);
});

t.test('stddev stays accurate over a long drift', async (t) => {
  // A gauge near 1e9 that ramps and wobbles, 200,000 samples through a window
  // of 100. The reference's z-score is off by up to about 3e-8 here, so the
  // check is against the exact computation.
  const stddev = createWindow({ fn: 'stddev', rangeMs: 100_000 });
  const zscore = createWindow({ fn: 'zscore', rangeMs: 100_000 });
  const samples: Sample[] = [];
  let worst = 0;
  for (let step = 0; step < 200_000; step++) {
    const sample = { t: step * 1000, v: 1e9 + step * 0.5 + Math.sin(step) * 3 };
    samples.push(sample);
    for (const window of [stddev, zscore]) {
      window.add(sample.t, sample.v);
      window.advance(sample.t);
    }
    if (step % 997 === 0 && step >= 100) {
      const inWindow = samples.slice(-100);
      for (const [fn, window] of [['stddev', stddev], ['zscore', zscore]] as const) {
        const expected = exactMoments(fn, inWindow);
        worst = Math.max(worst, Math.abs(window.value() - expected) / Math.max(Math.abs(expected), 1));
      }
    }
  }
  t.ok(worst <= 1e-9, `largest difference from the exact values: ${worst}`);
});
