import t from 'tap';
import { RingBuffer } from './ring-buffer.js';

t.test('RingBuffer keeps order across wraparound', async (t) => {
  const buffer = new RingBuffer<number>(4);
  for (const value of [1, 2, 3]) t.equal(buffer.push(value), false);
  t.same(buffer.shift(2), [1, 2]);

  for (const value of [4, 5, 6]) t.equal(buffer.push(value), false);
  t.equal(buffer.length, 4);
  t.same(buffer.shift(10), [3, 4, 5, 6]);
  t.equal(buffer.length, 0);
  t.same(buffer.shift(1), []);
});

t.test('RingBuffer evicts the oldest when full', async (t) => {
  const buffer = new RingBuffer<number>(3);
  const evicted = [1, 2, 3, 4, 5].map((value) => buffer.push(value));
  t.same(evicted, [false, false, false, true, true]);
  t.same(buffer.shift(3), [3, 4, 5]);
});

t.test('RingBuffer rejects a bad capacity', async (t) => {
  t.throws(() => new RingBuffer(0), RangeError);
  t.throws(() => new RingBuffer(1.5), RangeError);
});
