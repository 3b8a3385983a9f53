import t from 'tap';
import { aggregateWindow, samplesInWindow, type Sample } from './window-reference.js';

const samples: Sample[] = [
  { t: 1_000, v: 4 },
  { t: 2_000, v: 8 },
  { t: 3_000, v: 6 },
  { t: 4_000, v: 2 },
];

t.test('window membership is (now - range, now]', async (t) => {
  t.same(samplesInWindow(samples, 4_000, 2_000).map((sample) => sample.t), [3_000, 4_000]);
  t.same(samplesInWindow(samples, 3_500, 2_000).map((sample) => sample.t), [2_000, 3_000]);
  t.same(samplesInWindow(samples, 10_000, 2_000), []);
});

t.test('window aggregates', async (t) => {
  t.equal(aggregateWindow('avg', samples), 5);
  t.equal(aggregateWindow('min', samples), 2);
  t.equal(aggregateWindow('max', samples), 8);
  t.equal(aggregateWindow('sum', samples), 20);
  t.equal(aggregateWindow('count', samples), 4);
  t.equal(aggregateWindow('last', samples), 2);
  t.equal(aggregateWindow('delta', samples), -2);
  t.equal(aggregateWindow('stddev', samples), Math.sqrt(5));
  t.equal(aggregateWindow('quantile', samples, 0), 2);
  t.equal(aggregateWindow('quantile', samples, 1), 8);
  t.equal(aggregateWindow('quantile', samples, 0.5), 5, 'interpolates between 4 and 6');
  t.ok(Math.abs(aggregateWindow('quantile', samples, 0.95) - 7.7) < 1e-9, 'rank 2.85 of 2, 4, 6, 8');
  t.equal(aggregateWindow('zscore', samples), (2 - 5) / Math.sqrt(5));
  t.equal(aggregateWindow('absent', samples), 0);
});

t.test('window rate counts resets', async (t) => {
  const counter: Sample[] = [
    { t: 0, v: 100 },
    { t: 10_000, v: 150 },
    { t: 20_000, v: 20 },
    { t: 30_000, v: 50 },
  ];
  // 50 before the reset, 20 counted in full after it, then 30.
  t.equal(aggregateWindow('rate', counter), 100 / 30);
  t.equal(aggregateWindow('rate', counter.slice(0, 2)), 5);
});

t.test('window empty and short windows', async (t) => {
  for (const fn of ['avg', 'min', 'max', 'sum', 'count', 'last', 'rate', 'delta', 'stddev', 'quantile', 'zscore'] as const) {
    t.ok(Number.isNaN(aggregateWindow(fn, [], 0.5)), `${fn} of an empty window`);
  }
  t.equal(aggregateWindow('absent', []), 1);
  const single = [{ t: 0, v: 3 }];
  t.ok(Number.isNaN(aggregateWindow('rate', single)), 'rate needs two samples');
  t.ok(Number.isNaN(aggregateWindow('delta', single)), 'delta needs two samples');
  t.ok(Number.isNaN(aggregateWindow('zscore', single)), 'zscore needs two samples');
  t.equal(aggregateWindow('stddev', single), 0);
  t.ok(Number.isNaN(aggregateWindow('zscore', [{ t: 0, v: 3 }, { t: 1, v: 3 }])), 'zscore of a flat window');
  t.ok(Number.isNaN(aggregateWindow('rate', [{ t: 5, v: 1 }, { t: 5, v: 2 }])), 'rate over no time');
});
