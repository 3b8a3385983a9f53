import t from 'tap';
import { RECONNECT_MAX_MS, reconnectDelay } from './backoff.js';
import { countOf, formatAge, formatBucketRange, formatCompact, formatDuration, formatMetric, metricUnit, withUnit } from './format.js';

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

t.test('countOf uses the singular for one', async (t) => {
  t.equal(countOf(1, 'sample'), '1 sample');
  t.equal(countOf(0, 'agent'), '0 agents');
  t.equal(countOf(2, 'agent'), '2 agents');
  t.equal(countOf(1_000, 'outlier alert'), '1000 outlier alerts');
  t.equal(countOf(2, 'match', 'match'), '2 match', 'an explicit plural');
});

t.test('formatBucketRange names the unit', async (t) => {
  t.equal(metricUnit('latency_ms'), 'ms');
  t.equal(metricUnit('cpu_usage'), '%');
  t.equal(metricUnit('disk_used_pct'), '%');
  t.equal(metricUnit('load_avg'), '', 'no unit for a metric the dashboard does not know');
  t.equal(withUnit('25', 'ms'), '25 ms');
  t.equal(withUnit('25', '%'), '25%');
  t.equal(withUnit('25', ''), '25');
  t.equal(formatBucketRange({ lower: 20, upper: 25 }, 'ms'), '20–25 ms');
  t.equal(formatBucketRange({ lower: 1.2589, upper: 1.5849 }, '%'), '1.3–1.6%');
  t.equal(formatBucketRange({ lower: null, upper: 0.00126 }, 'ms'), 'below 0.0013 ms');
});

t.test('reconnectDelay backs off with jitter up to 30 s', async (t) => {
  t.equal(reconnectDelay(0, 0), 500);
  t.equal(reconnectDelay(0, 0.999_999), 1_000);
  t.equal(reconnectDelay(3, 0.5), 6_000);
  t.equal(reconnectDelay(20, 1), RECONNECT_MAX_MS);
  t.equal(reconnectDelay(20, 0), RECONNECT_MAX_MS / 2);
});
