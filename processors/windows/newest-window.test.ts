import t from 'tap';
import { createWindow } from './window.js';

t.test('last holds one admitted sample', async (t) => {
  const window = createWindow({ fn: 'last', rangeMs: 300_000 });
  for (let step = 0; step < 100; step++) {
    window.add(step * 1000, step);
    window.advance(step * 1000);
  }
  t.equal(window.value(), 99);
  t.equal(window.size, 1, 'older samples cannot be the latest again');
  window.add(50_000, -1);
  t.equal(window.value(), 99, 'a late sample is not the latest');
  t.equal(window.size, 1);
  window.add(150_000, 7);
  t.equal(window.size, 2, 'a sample after now is held until an advance');
  window.advance(150_000);
  t.equal(window.value(), 7);
  t.equal(window.size, 1);
});

t.test('absent flips with the window', async (t) => {
  const window = createWindow({ fn: 'absent', rangeMs: 60_000 });
  t.equal(window.value(), 1);
  window.add(1000, 42);
  window.advance(1000);
  t.equal(window.value(), 0);
  window.advance(60_999);
  t.equal(window.value(), 0, 'the sample at 1000 is still in (999, 60999]');
  window.advance(61_000);
  t.equal(window.value(), 1);
  t.equal(window.add(2000, 1), true, 'a late sample inside the window');
  t.equal(window.value(), 0);
});
