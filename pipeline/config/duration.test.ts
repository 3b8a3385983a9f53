import t from 'tap';
import { formatDuration, parseDuration } from './duration.js';

t.test('parseDuration accepts units and compounds', async (t) => {
  t.equal(parseDuration('250ms'), 250);
  t.equal(parseDuration('30s'), 30_000);
  t.equal(parseDuration('5m'), 300_000);
  t.equal(parseDuration('1h30m'), 5_400_000);
  t.equal(parseDuration('1d'), 86_400_000);
  t.equal(parseDuration('0s'), 0);
});

t.test('parseDuration rejects other text', async (t) => {
  for (const text of ['', '5', 'm5', '5 m', '-5m', '1.5h', '5M', '5mins']) {
    t.equal(parseDuration(text), undefined, JSON.stringify(text));
  }
});

t.test('formatDuration round-trips', async (t) => {
  for (const ms of [0, 250, 30_000, 300_000, 5_400_000, 86_400_000 + 1_500]) {
    t.equal(parseDuration(formatDuration(ms)), ms, String(ms));
  }
  t.equal(formatDuration(5_400_000), '1h30m');
});
