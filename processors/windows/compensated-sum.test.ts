import t from 'tap';
import { CompensatedSum, squaredDeviations } from './compensated-sum.js';

t.test('CompensatedSum cancels a large term', async (t) => {
  const sum = new CompensatedSum();
  sum.add(1e12);
  sum.add(0.1);
  sum.add(-1e12);
  t.equal(sum.hi, 0.1, 'a plain sum gives 0.100006103515625');
});

t.test('CompensatedSum error bound for integers', async (t) => {
  const sum = new CompensatedSum();
  for (let index = 0; index < 10_000; index++) {
    sum.add(index * 1_000_003);
    sum.addSquare(index, 1);
  }
  t.equal(sum.errorBound, 0, 'every step was exact');
  sum.add(0.1);
  sum.add(0.2);
  t.ok(sum.errorBound > 0, 'fractions round');
  sum.reset();
  t.equal(sum.hi, 0);
  t.equal(sum.errorBound, 0);
});

t.test('CompensatedSum removes a square', async (t) => {
  const sum = new CompensatedSum();
  sum.addSquare(1e7 + 0.1, 1);
  sum.addSquare(3, 1);
  sum.addSquare(1e7 + 0.1, -1);
  t.equal(sum.hi, 9);
});

t.test('squaredDeviations near a large mean', async (t) => {
  // 1e8 + 1, 1e8 + 2, 1e8 + 3: squared deviations 1 + 0 + 1.
  const sum = new CompensatedSum();
  const squares = new CompensatedSum();
  for (const value of [1e8 + 1, 1e8 + 2, 1e8 + 3]) {
    sum.add(value);
    squares.addSquare(value, 1);
  }
  t.equal(squaredDeviations(sum, squares, 3), 2);
});
