import t from 'tap';
import { outlierConfigSchema } from './config.js';

const HOUR = 3_600_000;

t.test('outlierConfigSchema fills defaults', async (t) => {
  t.same(outlierConfigSchema.parse(undefined), {
    variant: 'zscore',
    window: 84 * HOUR,
    robust_cap: 1.5,
    min_samples: 30,
    threshold: 0.65,
    suppress: 12 * HOUR,
    likelihood: { average: 50 * 60_000, half_life: 14 * 24 * HOUR, min_samples: 100, ramp: [2, 5], min_stddev: 0.017 },
  });
});

t.test('outlierConfigSchema parses durations', async (t) => {
  const config = outlierConfigSchema.parse({ window: '1d', suppress: '0s', likelihood: { average: '10m', half_life: '7d' } });
  t.equal(config.window, 24 * HOUR);
  t.equal(config.suppress, 0);
  t.ok(config.likelihood !== false && config.likelihood.average === 600_000, 'average');
  t.ok(config.likelihood !== false && config.likelihood.half_life === 7 * 24 * HOUR, 'half-life');
});

t.test('outlierConfigSchema turns likelihood off', async (t) => {
  t.equal(outlierConfigSchema.parse({ likelihood: false }).likelihood, false);
});

t.test('outlierConfigSchema rejects invalid fields', async (t) => {
  const cases: ReadonlyArray<[unknown, string, RegExp]> = [
    [{ window: 5 }, 'window', /duration with a unit/],
    [{ window: '0s' }, 'window', /at least 1 ms/],
    [{ variant: 'mad' }, 'variant', /zscore.*robust/],
    [{ threshold: 0 }, 'threshold', /Too small/],
    [{ threshold: 1.5 }, 'threshold', /Too big/],
    [{ min_samples: 1 }, 'min_samples', /Too small/],
    [{ robust_cap: 0.5 }, 'robust_cap', /Too small/],
    [{ likelihood: { ramp: [5, 2] } }, 'likelihood.ramp', /low < high/],
    [{ likelihood: true }, 'likelihood', /.+/],
    [{ windows: '1d' }, '', /Unrecognized key: "windows"/],
  ];
  for (const [input, path, message] of cases) {
    const result = outlierConfigSchema.safeParse(input);
    if (result.success) {
      t.fail(`${JSON.stringify(input)} was accepted`);
      continue;
    }
    const issue = result.error.issues[0]!;
    t.equal(issue.path.join('.'), path, `${JSON.stringify(input)} names its field`);
    t.match(issue.message, message, `${JSON.stringify(input)} message`);
  }
});
