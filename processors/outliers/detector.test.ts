import t from 'tap';
import { createOutlierDetector, MAX_ABS_ZSCORE, type OutlierDetector } from './detector.js';
import { log10UpperTail } from './normal.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Deterministic noise in [-1, 1) from a linear congruential generator, so failures reproduce. */
function noise(seed = 1): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state / 2 ** 31) * 2 - 1;
  };
}

/** Feeds `count` noisy samples around `level`, one minute apart from `start`, and returns the time after the last. */
function feedNoise(detector: OutlierDetector, start: number, count: number, level = 100, next = noise()): number {
  for (let index = 0; index < count; index++) detector.update(start + index * MINUTE, level + next());
  return start + count * MINUTE;
}

/** Score of a z-score alone: surprise -log10 P(|Z| >= |z|) mapped to surprise / (surprise + 10). */
function zscoreOnlyScore(z: number): number {
  const surprise = -(log10UpperTail(Math.abs(z)) + Math.log10(2));
  return surprise / (surprise + 10);
}

t.test('detector scores 0 before min_samples', async (t) => {
  const detector = createOutlierDetector({ min_samples: 5, likelihood: false });
  for (let index = 0; index < 5; index++) {
    const event = detector.update(index * MINUTE, index);
    t.equal(event.score, 0, `sample ${index} is not scored`);
    t.ok(Number.isNaN(event.zscore), `sample ${index} has no z-score`);
  }
  t.notOk(Number.isNaN(detector.update(5 * MINUTE, 2).zscore), 'the sixth sample has 5 earlier ones');
});

t.test('zscore variant excludes the sample', async (t) => {
  const detector = createOutlierDetector({ min_samples: 2, likelihood: false, window: '1h' });
  const earlier = [3, 7, 4, 9, 6, 5];
  earlier.forEach((value, index) => detector.update(index * MINUTE, value));
  const event = detector.update(earlier.length * MINUTE, 12);

  const mean = earlier.reduce((sum, value) => sum + value, 0) / earlier.length;
  const stddev = Math.sqrt(earlier.reduce((sum, value) => sum + (value - mean) ** 2, 0) / earlier.length);
  t.ok(Math.abs(event.zscore - (12 - mean) / stddev) < 1e-9, `z-score ${event.zscore}, expected ${(12 - mean) / stddev}`);
  t.ok(Math.abs(event.score - zscoreOnlyScore(event.zscore)) < 1e-12, 'score of the z-score alone');
  t.same({ ts: event.ts, value: event.value, variant: event.variant }, { ts: 6 * MINUTE, value: 12, variant: 'zscore' });
});

t.test('zscore variant flags a spike', async (t) => {
  const detector = createOutlierDetector({ suppress: '0s' });
  const end = feedNoise(detector, 0, 2000);
  const normal = detector.update(end, 100.5);
  t.notOk(detector.isOutlier(normal), `a usual sample scores ${normal.score}`);
  const spike = detector.update(end + MINUTE, 110);
  t.ok(detector.isOutlier(spike), `the spike scores ${spike.score}`);
  t.ok(spike.zscore > 10, `spike z-score ${spike.zscore}`);
});

t.test('suppress zeroes scores after an outlier', async (t) => {
  const detector = createOutlierDetector({ suppress: '1h' });
  let now = feedNoise(detector, 0, 2000);
  t.ok(detector.isOutlier(detector.update(now, 110)), 'first spike');
  now += 30 * MINUTE;
  const second = detector.update(now, 120);
  t.equal(second.score, 0, 'a spike 30 minutes later scores 0');
  t.ok(second.zscore > 10, 'its z-score is still reported');
  now = feedNoise(detector, now + MINUTE, 60, 100, noise(7));
  t.ok(detector.isOutlier(detector.update(now, 125)), 'a spike after the hour is an outlier again');
});

t.test('equal samples give z-score 0', async (t) => {
  const detector = createOutlierDetector({ min_samples: 3, likelihood: false });
  let event = detector.update(0, 5);
  for (let index = 1; index < 10; index++) event = detector.update(index * MINUTE, 5);
  t.equal(event.zscore, 0);
  t.equal(event.score, 0);
  const step = detector.update(10 * MINUTE, 6);
  t.equal(step.zscore, MAX_ABS_ZSCORE, 'a change after equal samples has the largest z-score');
  t.ok(step.score > 0.99, `and scores ${step.score}`);
});

t.test('late samples are not scored', async (t) => {
  const detector = createOutlierDetector({ min_samples: 3, window: '1h' });
  for (let index = 0; index < 10; index++) detector.update(index * MINUTE, index % 3);
  const sizeBefore = detector.size;
  const late = detector.update(5.5 * MINUTE, 50);
  t.equal(late.score, 0);
  t.ok(Number.isNaN(late.zscore), 'no z-score');
  t.equal(detector.size, sizeBefore + 1, 'the late sample joined the window');
  const tooOld = detector.update(-2 * 60 * MINUTE, 1);
  t.equal(tooOld.score, 0, 'a sample older than the window');
  t.equal(detector.size, sizeBefore + 1, 'is dropped');
});

t.test('update rejects non-finite samples', async (t) => {
  const detector = createOutlierDetector();
  t.throws(() => detector.update(Number.NaN, 1), { name: 'RangeError', message: /invalid sample \(NaN, 1\)/ });
  t.throws(() => detector.update(0, Number.POSITIVE_INFINITY), { name: 'RangeError', message: /invalid sample \(0, Infinity\)/ });
});

t.test('createOutlierDetector rejects invalid config', async (t) => {
  t.throws(() => createOutlierDetector({ window: 'soon' }), { name: 'ZodError' });
});

t.test('robust variant matches median and MAD', async (t) => {
  const detector = createOutlierDetector({ variant: 'robust', min_samples: 2, likelihood: false, window: '1h' });
  const values = [10, 12, 11, 15, 13, 9, 14, 18];
  values.forEach((value, index) => detector.update(index * MINUTE, value));
  const event = detector.update(values.length * MINUTE, 16);

  // Over the 9 samples, 16 included: median 13, absolute deviations [3,1,2,2,0,4,1,5,3], MAD 2.
  const expected = (0.6745 * (16 - 13)) / 2;
  t.ok(Math.abs(event.zscore - expected) < 1e-12, `robust z-score ${event.zscore}, expected ${expected}`);
  t.equal(event.variant, 'robust');
});

t.test('robust variant caps a collapsed MAD', async (t) => {
  // 60% of the samples equal 50 and the rest spread from 40 to 60, so the MAD is 0.
  const detector = createOutlierDetector({ variant: 'robust', min_samples: 10, likelihood: false, window: '1d' });
  const next = noise(3);
  for (let index = 0; index < 500; index++) detector.update(index * MINUTE, index % 5 < 3 ? 50 : 50 + 10 * next());
  const classical = createOutlierDetector({ min_samples: 10, likelihood: false, window: '1d' });
  const replay = noise(3);
  for (let index = 0; index < 500; index++) classical.update(index * MINUTE, index % 5 < 3 ? 50 : 50 + 10 * replay());

  const robustEvent = detector.update(500 * MINUTE, 58);
  const classicalEvent = classical.update(500 * MINUTE, 58);
  t.ok(Math.abs(robustEvent.zscore - classicalEvent.zscore) < 1e-12, `MAD 0: robust ${robustEvent.zscore} equals classical ${classicalEvent.zscore}`);
});

t.test('robust variant caps at robust_cap', async (t) => {
  // Most samples are within ±0.1 of 50 and a fifth spread to ±10, which gives a small MAD and a large standard deviation.
  const feed = (cap: number) => {
    const detector = createOutlierDetector({ variant: 'robust', robust_cap: cap, min_samples: 10, likelihood: false, window: '1d' });
    const next = noise(5);
    for (let index = 0; index < 500; index++) detector.update(index * MINUTE, 50 + (index % 5 === 0 ? 10 : 0.1) * next());
    return detector.update(500 * MINUTE, 58).zscore;
  };
  const classical = createOutlierDetector({ min_samples: 10, likelihood: false, window: '1d' });
  const next = noise(5);
  for (let index = 0; index < 500; index++) classical.update(index * MINUTE, 50 + (index % 5 === 0 ? 10 : 0.1) * next());
  const classicalZ = classical.update(500 * MINUTE, 58).zscore;

  const uncapped = feed(1e6);
  t.ok(uncapped > 10 * classicalZ, `without a cap the robust z-score ${uncapped} dwarfs the classical ${classicalZ}`);
  t.ok(Math.abs(feed(1.5) - 1.5 * classicalZ) < 1e-9, 'the cap limits it to 1.5 times the classical z-score');
});

t.test('injected time runs a 30-day window', async (t) => {
  // 45 days of one sample a minute through a 30-day window: 64,800 samples of event time, no waiting.
  const detector = createOutlierDetector({ window: '30d', suppress: '1h' });
  const started = performance.now();
  const next = noise(11);
  let outliers = 0;
  for (let minute = 0; minute < 45 * 24 * 60; minute++) {
    // A level of 1,000 for the first 10 days, then 100.
    const level = minute < 10 * 24 * 60 ? 1000 : 100;
    if (detector.isOutlier(detector.update(minute * MINUTE, level + next()))) outliers++;
  }
  const elapsedMs = performance.now() - started;

  const window = 30 * DAY;
  t.ok(detector.size <= window / MINUTE + 50, `the window contains at most 30 days of samples, plus the average (${detector.size})`);
  t.ok(outliers >= 1 && outliers <= 10, `the level shift is found a few times, not at every sample (${outliers})`);
  // The 1,000-level days left the window at day 40, so the spread is that of the noise again.
  const spike = detector.update(45 * DAY, 110);
  t.ok(spike.zscore > 10, `a spike after the old level left the window: z-score ${spike.zscore}`);
  t.ok(elapsedMs < 5_000, `took ${elapsedMs.toFixed(0)} ms`);
});
