import t from 'tap';
import { createWindow } from './window.js';

t.test('max follows evictions', async (t) => {
  const max = createWindow({ fn: 'max', rangeMs: 3000 });
  const expected = [5, 5, 5, 4, 3, 3, 6];
  for (const [index, value] of [5, 4, 3, 2, 3, 1, 6].entries()) {
    max.add(index * 1000, value);
    max.advance(index * 1000);
    t.equal(max.value(), expected[index], `after the sample at ${index} s`);
  }
});

t.test('min of a late sample', async (t) => {
  const min = createWindow({ fn: 'min', rangeMs: 10_000 });
  min.add(1000, 5);
  min.add(3000, 4);
  min.advance(3000);
  min.add(2000, 1);
  t.equal(min.value(), 1, 'the late sample is the minimum');
  min.advance(11_999);
  t.equal(min.value(), 1, 'window (1999, 11999] still holds it');
  min.advance(12_000);
  t.equal(min.value(), 4, 'it leaves before the sample at 3000');
});

t.test('max ignores a dominated late sample', async (t) => {
  const max = createWindow({ fn: 'max', rangeMs: 10_000 });
  max.add(1000, 9);
  max.add(3000, 7);
  max.advance(3000);
  max.add(2000, 6);
  t.equal(max.value(), 9);
  max.advance(11_000);
  t.equal(max.value(), 7, 'the sample at 3000 outlives the late one');
});

t.test('max late sample replaces a run', async (t) => {
  const max = createWindow({ fn: 'max', rangeMs: 10_000 });
  for (const [ts, value] of [[1000, 9], [2000, 5], [3000, 4], [5000, 2]] as const) max.add(ts, value);
  max.advance(5000);
  max.add(4000, 6);
  const expected: Array<[number, number]> = [
    [5000, 9],
    [11_000, 6],
    [13_999, 6],
    [14_000, 2],
    [15_000, Number.NaN],
  ];
  for (const [now, value] of expected) {
    max.advance(now);
    t.same(max.value(), value, `at ${now}`);
  }
});

t.test('max keeps the newer of equal values', async (t) => {
  const max = createWindow({ fn: 'max', rangeMs: 2500 });
  max.add(0, 3);
  max.add(1000, 3);
  max.add(2000, 1);
  max.advance(2000);
  max.advance(3000);
  t.equal(max.value(), 3, 'the 3 at 1000 is still in the window');
  max.advance(3500);
  t.equal(max.value(), 1);
});
