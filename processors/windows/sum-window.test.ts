import t from 'tap';
import { createWindow } from './window.js';

t.test('sum after a large sample leaves', async (t) => {
  const sum = createWindow({ fn: 'sum', rangeMs: 2500 });
  const avg = createWindow({ fn: 'avg', rangeMs: 2500 });
  for (const window of [sum, avg]) {
    window.add(0, 1e15);
    window.add(1000, 0.1);
    window.add(2000, 0.2);
    window.advance(2000);
  }
  t.equal(sum.value(), 1e15 + 0.25, 'the correctly rounded sum; adding left to right gives 1e15 + 0.375');
  for (const window of [sum, avg]) window.advance(3000);
  // A plain running sum would be off by about 0.1 here, the ulp of 1e15.
  t.equal(sum.value(), 0.1 + 0.2);
  t.equal(avg.value(), (0.1 + 0.2) / 2);
});

t.test('sum of integers stays exact', async (t) => {
  const sum = createWindow({ fn: 'sum', rangeMs: 30_000 });
  for (let step = 0; step < 100_000; step++) {
    sum.add(step * 1000, (step % 2 === 0 ? 1 : -1) * 2 ** 40 + step);
    sum.advance(step * 1000);
  }
  // The last 30 steps, 99,970 to 99,999: 15 positive and 15 negative powers cancel.
  let expected = 0;
  for (let step = 99_970; step < 100_000; step++) expected += step;
  t.equal(sum.value(), expected);
});

t.test('sum that cancels to 0 is exact', async (t) => {
  const sum = createWindow({ fn: 'sum', rangeMs: 10_000 });
  const values = [0.1, 0.7, -0.3, 1e10, -0.1, -0.7, 0.3, -1e10];
  for (const [index, value] of values.entries()) sum.add(index * 1000, value);
  sum.advance(7000);
  t.equal(sum.value(), 0);
});
