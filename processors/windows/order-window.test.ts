import t from 'tap';
import { createWindow, type SlidingWindow } from './window.js';

const feed = (window: SlidingWindow, values: readonly number[]): SlidingWindow => {
  for (const [index, value] of values.entries()) window.add(index * 1000, value);
  window.advance((values.length - 1) * 1000);
  return window;
};

const quantile = (phi: number, values: readonly number[]): number => feed(createWindow({ fn: 'quantile', rangeMs: 60_000, param: phi }), values).value();
const robust = (values: readonly number[]): number => feed(createWindow({ fn: 'robust_zscore', rangeMs: 60_000 }), values).value();

t.test('quantile interpolates between ranks', async (t) => {
  const values = [8, 2, 6, 4];
  t.equal(quantile(0, values), 2);
  t.equal(quantile(1, values), 8);
  t.equal(quantile(0.5, values), 5, 'halfway between 4 and 6');
  t.ok(Math.abs(quantile(0.95, values) - 7.7) < 1e-12, 'rank 2.85 of 2, 4, 6, 8');
});

t.test('quantile φ outside [0, 1]', async (t) => {
  t.equal(quantile(-0.5, [1, 2]), Number.NEGATIVE_INFINITY);
  t.equal(quantile(1.5, [1, 2]), Number.POSITIVE_INFINITY);
  t.same(quantile(Number.NaN, [1, 2]), Number.NaN);
  t.same(quantile(1.5, []), Number.NaN, 'an empty window is NaN for every φ');
});

t.test('quantile removes one of equal values', async (t) => {
  const window = createWindow({ fn: 'quantile', rangeMs: 2500, param: 0 });
  feed(window, [1, 1, 3]);
  window.advance(3000);
  t.equal(window.value(), 1, 'one 1 left');
  window.advance(4000);
  t.equal(window.value(), 3);
});

t.test('robust_zscore of an outlier', async (t) => {
  // Median 3, deviations 2, 1, 0, 1, 97, so the MAD is 1.
  t.equal(robust([1, 2, 3, 4, 100]), 0.6745 * 97);
  // Median 2.5, deviations 1.5, 0.5, 0.5, 1.5, so the MAD is 1.
  t.equal(robust([1, 2, 3, 4]), 0.6745 * 1.5);
  t.equal(robust([100, 4, 3, 2, 1]), (0.6745 * (1 - 3)) / 1, 'the latest sample is scored, not the largest');
});

t.test('robust_zscore with a MAD of 0 is NaN', async (t) => {
  t.same(robust([5, 5, 5, 1]), Number.NaN, 'more than half the samples equal the median');
  t.same(robust([7]), Number.NaN, 'one sample');
  t.same(robust([]), Number.NaN, 'no sample');
});
