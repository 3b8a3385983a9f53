import t from 'tap';
import { RECONNECT_MAX_MS, reconnectDelay } from './backoff.js';
import { formatAge, formatCompact, formatDuration, formatMetric } from './format.js';

t.test('formatAge for the last-seen column', async (t) => {
  t.equal(formatAge(-20), '0s');
  t.equal(formatAge(4_999), '4s');
  t.equal(formatAge(65_000), '1m 05s');
  t.equal(formatAge(2 * 3_600_000 + 600_000), '2h 10m');
  t.equal(formatAge(3 * 86_400_000 + 4 * 3_600_000), '3d 4h');
});

t.test('formatDuration for intervals', async (t) => {
  t.equal(formatDuration(250), '250ms');
  t.equal(formatDuration(2_500), '2.5s');
  t.equal(formatDuration(10_000), '10s');
  t.equal(formatDuration(60_000), '1m');
  t.equal(formatDuration(90_000), '1m 30s');
});

t.test('formatMetric with units', async (t) => {
  t.equal(formatMetric('cpu_usage', 12.345), '12.3%');
  t.equal(formatMetric('latency_ms', 0.42), '0.4 ms');
  t.equal(formatMetric('latency_ms', 250.4), '250 ms');
  t.equal(formatMetric('disk_used_pct', null), '–');
  t.equal(formatCompact(0.00126), '0.0013');
  t.equal(formatCompact(1_500), '1.5k');
  t.equal(formatCompact(25), '25');
});

t.test('reconnectDelay backs off with jitter up to 30 s', async (t) => {
  t.equal(reconnectDelay(0, 0), 500);
  t.equal(reconnectDelay(0, 0.999_999), 1_000);
  t.equal(reconnectDelay(3, 0.5), 6_000);
  t.equal(reconnectDelay(20, 1), RECONNECT_MAX_MS);
  t.equal(reconnectDelay(20, 0), RECONNECT_MAX_MS / 2);
});
