import t from 'tap';
import { likelihoodConfigSchema } from './config.js';
import { LikelihoodStage } from './likelihood.js';

const MINUTE = 60_000;

function stage(input: Record<string, unknown> = {}): LikelihoodStage {
  return new LikelihoodStage(likelihoodConfigSchema.parse({ average: '10m', half_life: '1d', min_samples: 50, ...input }));
}

/** Feeds |z| values one minute apart from `start` and returns the surprises. */
function feed(target: LikelihoodStage, start: number, values: readonly number[]): number[] {
  return values.map((value, index) => target.update(start + index * MINUTE, value));
}

/** Returns a deterministic |z| sequence below the ramp, which adds no evidence. */
const quiet = (count: number) => Array.from({ length: count }, (_, index) => (index % 7) / 7);

t.test('likelihood stage waits for min_samples', async (t) => {
  const surprises = feed(stage(), 0, quiet(60));
  t.same(surprises.slice(0, 50), new Array(50).fill(0), 'no surprise before 50 averages');
  t.ok(Math.abs(surprises[50]! - Math.log10(2)) < 1e-6, `an average at the mean has tail 1/2 (${surprises[50]})`);
});

t.test('likelihood stage flags a burst', async (t) => {
  const target = stage();
  feed(target, 0, quiet(500));
  const burst = feed(target, 500 * MINUTE, [6, 6, 6]);
  // One full-evidence sample in a 10-sample average is 0.1 above a mean of 0. At the 0.017 floor that is about 5.9 sigma.
  t.ok(burst[0]! > 8, `first sample of the burst: ${burst[0]}`);
  t.ok(burst[2]! > burst[0]!, 'the surprise grows while the burst lasts');
});

t.test('likelihood stage adapts to bursty history', async (t) => {
  const quietStage = stage();
  feed(quietStage, 0, quiet(2000));
  const burstyStage = stage();
  // Full evidence at every 20th sample makes bursts routine for this series.
  feed(burstyStage, 0, Array.from({ length: 2000 }, (_, index) => (index % 20 === 0 ? 6 : 0)));

  const [quietSurprise] = feed(quietStage, 2000 * MINUTE, [6]);
  const [burstySurprise] = feed(burstyStage, 2000 * MINUTE + MINUTE, [6]);
  t.ok(quietSurprise! > burstySurprise! + 5, `quiet history ${quietSurprise}, bursty history ${burstySurprise}`);
});

t.test('likelihood stage ignores evidence below the ramp', async (t) => {
  const target = stage({ ramp: [3, 6] });
  feed(target, 0, quiet(200));
  const [surprise] = feed(target, 200 * MINUTE, [2.9]);
  t.ok(Math.abs(surprise! - Math.log10(2)) < 1e-6, `|z| 2.9 adds no evidence: ${surprise}`);
});

t.test('likelihood stage forgets with its half-life', async (t) => {
  const target = stage({ half_life: '1h' });
  // Bursty for a day, then quiet for two days, which is 48 half-lives, enough to forget the bursts.
  feed(target, 0, Array.from({ length: 1440 }, (_, index) => (index % 20 === 0 ? 6 : 0)));
  feed(target, 1440 * MINUTE, quiet(2880));
  const [surprise] = feed(target, 4320 * MINUTE, [6]);
  t.ok(surprise! > 8, `a burst after the quiet days is surprising again: ${surprise}`);
});
