import t from 'tap';
import { visibleRange } from './virtual-list.js';

t.test('visibleRange at the top, middle and bottom', async (t) => {
  const base = { viewportHeight: 720, rowHeight: 36, count: 10_000, overscan: 5 };
  t.same(visibleRange({ ...base, scrollTop: 0 }), { first: 0, end: 26, offsetTop: 0, totalHeight: 360_000 });
  t.same(visibleRange({ ...base, scrollTop: 3_600 }), { first: 95, end: 126, offsetTop: 3_420, totalHeight: 360_000 });
  t.same(visibleRange({ ...base, scrollTop: 3_610 }), { first: 95, end: 126, offsetTop: 3_420, totalHeight: 360_000 }, 'rows stay at their own position while the view scrolls within a row');
  const bottom = visibleRange({ ...base, scrollTop: 360_000 - 720 });
  t.equal(bottom.end, 10_000, 'the last row is drawn at the bottom');
  t.equal(bottom.offsetTop + (bottom.end - bottom.first) * 36, 360_000, 'and ends at the bottom edge');
});

t.test('visibleRange clamps the scroll position', async (t) => {
  const base = { viewportHeight: 100, rowHeight: 20, count: 50 };
  t.same(visibleRange({ ...base, scrollTop: -40 }), visibleRange({ ...base, scrollTop: 0 }), 'overscroll above the top');
  t.same(visibleRange({ ...base, scrollTop: 5_000 }), visibleRange({ ...base, scrollTop: 900 }), 'beyond the bottom');
});

t.test('visibleRange of short and empty lists', async (t) => {
  t.same(visibleRange({ scrollTop: 0, viewportHeight: 500, rowHeight: 36, count: 0 }), { first: 0, end: 0, offsetTop: 0, totalHeight: 0 });
  t.same(visibleRange({ scrollTop: 0, viewportHeight: 500, rowHeight: 36, count: 3, overscan: 10 }), { first: 0, end: 3, offsetTop: 0, totalHeight: 108 });
  t.same(visibleRange({ scrollTop: 0, viewportHeight: 0, rowHeight: 36, count: 3 }).first, 0, 'a hidden viewport');
});

t.test('visibleRange scales lists taller than the browser allows', async (t) => {
  const base = { viewportHeight: 1_000, rowHeight: 40, count: 1_000_000, maxScrollHeight: 1_000_000 };
  const top = visibleRange({ ...base, scrollTop: 0 });
  t.equal(top.totalHeight, 1_000_000, 'the content height is capped');
  t.equal(top.first, 0);

  const middle = visibleRange({ ...base, scrollTop: 499_500 });
  t.equal(middle.first, 499_987, 'half the scroll range shows the middle of the list');

  const bottom = visibleRange({ ...base, scrollTop: 999_000 });
  t.equal(bottom.end, 1_000_000, 'the bottom of the scroll range shows the last row');
  t.ok(bottom.offsetTop + (bottom.end - bottom.first) * 40 <= 1_000_000 + 40, 'the rows fit in the capped height');
});

t.test('visibleRange rejects an invalid row height', async (t) => {
  t.throws(() => visibleRange({ scrollTop: 0, viewportHeight: 100, rowHeight: 0, count: 5 }), new RangeError('rowHeight must be a positive number of pixels, found 0'));
});
