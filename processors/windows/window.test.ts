import t from 'tap';
import { createWindow, type SlidingWindow, type WindowKind } from './window.js';

const KINDS: readonly WindowKind[] = [
  'avg',
  'min',
  'max',
  'sum',
  'count',
  'last',
  'rate',
  'delta',
  'stddev',
  'quantile',
  'zscore',
  'absent',
  'robust_zscore',
];

const count = (rangeMs: number): SlidingWindow => createWindow({ fn: 'count', rangeMs });

t.test('createWindow rejects invalid ranges', async (t) => {
  for (const rangeMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => createWindow({ fn: 'avg', rangeMs }), { name: 'RangeError', message: `invalid window range ${rangeMs}` }, `range ${rangeMs}`);
  }
});

t.test('createWindow requires quantile φ', async (t) => {
  t.throws(() => createWindow({ fn: 'quantile', rangeMs: 1000 }), { name: 'RangeError', message: /needs its φ/ });
  t.doesNotThrow(() => createWindow({ fn: 'quantile', rangeMs: 1000, param: 0.5 }));
});

t.test('createWindow rejects unknown functions', async (t) => {
  t.throws(() => createWindow({ fn: 'median' as WindowKind, rangeMs: 1000 }), { name: 'RangeError', message: 'unknown window function median' });
});

t.test('add rejects non-finite samples', async (t) => {
  const window = count(1000);
  t.throws(() => window.add(Number.NaN, 1), { name: 'RangeError', message: /invalid sample \(NaN, 1\)/ });
  t.throws(() => window.add(1000, Number.POSITIVE_INFINITY), { name: 'RangeError', message: /invalid sample \(1000, Infinity\)/ });
  t.equal(window.size, 0, 'nothing was kept');
});

t.test('advance rejects non-finite times', async (t) => {
  const window = count(1000);
  t.throws(() => window.advance(Number.NaN), { name: 'RangeError', message: 'invalid time NaN' });
  t.throws(() => window.advance(Number.POSITIVE_INFINITY), { name: 'RangeError', message: 'invalid time Infinity' });
});

t.test('empty window values', async (t) => {
  for (const fn of KINDS) {
    const window = createWindow({ fn, rangeMs: 1000, param: 0.5 });
    const expected = fn === 'absent' ? 1 : Number.NaN;
    t.same(window.value(), expected, `${fn} before any sample`);
    window.add(500, 3);
    window.advance(1000);
    window.advance(1500);
    t.same(window.value(), expected, `${fn} after its one sample left`);
    t.equal(window.size, 0, `${fn} holds nothing`);
  }
});

t.test('single sample values', async (t) => {
  const expected: Record<WindowKind, number> = {
    avg: 5,
    min: 5,
    max: 5,
    sum: 5,
    count: 1,
    last: 5,
    rate: Number.NaN,
    delta: Number.NaN,
    stddev: 0,
    quantile: 5,
    zscore: Number.NaN,
    absent: 0,
    robust_zscore: Number.NaN,
  };
  for (const fn of KINDS) {
    const window = createWindow({ fn, rangeMs: 1000, param: 0.95 });
    t.equal(window.add(1000, 5), true, `${fn} accepts the sample`);
    window.advance(1000);
    t.same(window.value(), expected[fn], fn);
  }
});

t.test('window evicts a sample exactly at the start', async (t) => {
  const window = count(1000);
  window.add(1000, 1);
  window.add(2000, 2);
  window.advance(2000);
  t.equal(window.value(), 1, 'window (1000, 2000] leaves out the sample at 1000');
  window.advance(2999);
  t.equal(window.value(), 1, 'window (1999, 2999] holds the sample at 2000');
  window.advance(3000);
  t.same(window.value(), Number.NaN, 'window (2000, 3000] leaves out the sample at 2000');
  t.equal(window.size, 0);
});

t.test('add rejects samples at or before the start', async (t) => {
  const window = count(1000);
  window.advance(2000);
  t.equal(window.add(1000, 1), false, 'at the start');
  t.equal(window.add(999, 1), false, 'before the start');
  t.equal(window.add(1000.5, 1), true, 'just after the start');
  t.equal(window.size, 1, 'rejected samples are not held');
  t.equal(window.value(), 1);
});

t.test('add accepts every sample before the first advance', async (t) => {
  const window = count(1000);
  t.equal(window.add(-1e12, 1), true);
  t.same(window.value(), Number.NaN, 'nothing is in the window before an advance');
  window.advance(0);
  t.same(window.value(), Number.NaN, 'the sample left at the first advance');
  t.equal(window.size, 0);
});

t.test('samples after now wait for advance', async (t) => {
  const window = createWindow({ fn: 'last', rangeMs: 1000 });
  window.add(1000, 1);
  window.advance(1000);
  window.add(1500, 7);
  window.add(1200, 3);
  t.equal(window.value(), 1, 'samples after now are not in the window');
  t.equal(window.size, 3, 'the waiting samples are held');
  window.advance(1300);
  t.equal(window.value(), 3);
  window.advance(1500);
  t.equal(window.value(), 7);
});

t.test('advance backwards changes nothing', async (t) => {
  const window = count(1000);
  window.add(4500, 1);
  window.add(5000, 2);
  window.advance(5000);
  window.advance(4000);
  t.equal(window.value(), 2, 'the window still ends at 5000');
  t.equal(window.add(4001, 3), true, 'the start is still 4000');
  t.equal(window.add(4000, 3), false);
  t.equal(window.value(), 3);
});

t.test('window of 1 ms holds one instant', async (t) => {
  const window = createWindow({ fn: 'sum', rangeMs: 1 });
  window.add(1000, 1);
  window.add(1000, 2);
  window.advance(1000);
  t.equal(window.value(), 3, 'both samples at 1000');
  window.add(1001, 5);
  t.equal(window.value(), 3, 'the sample at 1001 waits');
  window.advance(1001);
  t.equal(window.value(), 5, 'window (1000, 1001]');
  t.equal(window.add(1000, 9), false, 'the start is 1000');
  t.equal(window.add(1000.5, 4), true, 'a fractional time inside (1000, 1001]');
  t.equal(window.value(), 9);
});

t.test('late sample joins in time order', async (t) => {
  const kinds = ['last', 'delta', 'rate', 'min', 'quantile'] as const;
  const windows = kinds.map((fn) => createWindow({ fn, rangeMs: 10_000, param: 0.5 }));
  for (const window of windows) {
    window.add(1000, 1);
    window.add(3000, 3);
    window.advance(3000);
    t.equal(window.add(2000, 0), true);
  }
  const [last, delta, rate, min, quantile] = windows.map((window) => window.value());
  t.equal(last, 3, 'last is the newest by time, not by arrival');
  t.equal(delta, 2, 'delta runs from the sample at 1000 to the one at 3000');
  t.equal(rate, 1.5, 'increases 0 (reset) and 3 over 2 s');
  t.equal(min, 0);
  t.equal(quantile, 1, 'median of 0, 1, 3');
});

t.test('equal times keep arrival order', async (t) => {
  const last = createWindow({ fn: 'last', rangeMs: 10_000 });
  const delta = createWindow({ fn: 'delta', rangeMs: 10_000 });
  for (const window of [last, delta]) {
    window.add(1000, 1);
    window.add(1000, 2);
    window.add(2000, 5);
    window.add(1000, 3);
    window.add(2000, 6);
    window.advance(2000);
  }
  t.equal(last.value(), 6, 'the later of two samples at 2000');
  t.equal(delta.value(), 5, 'from the first sample at 1000 to the last at 2000');
});

t.test('window grows and shrinks its buffers', async (t) => {
  for (const fn of KINDS) {
    const window = createWindow({ fn, rangeMs: 1_000_000, param: 0.5 });
    for (let index = 0; index < 1000; index++) window.add(index * 1000, index % 7);
    window.advance(999_000);
    const heldBefore = window.size;
    window.advance(1_990_000);
    t.ok(window.size <= 10, `${fn} keeps ${window.size} of ${heldBefore} samples`);
    window.advance(3_000_000);
    window.add(3_000_000, 4);
    window.add(2_999_000, 2);
    const expected: Partial<Record<WindowKind, number>> = { sum: 6, count: 2, min: 2, max: 4, last: 4, delta: 2, absent: 0 };
    if (expected[fn] !== undefined) t.equal(window.value(), expected[fn], `${fn} after regrowing`);
  }
});
