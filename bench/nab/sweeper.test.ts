import t from 'tap';
import type { CostMatrix } from './corpus.js';
import { bestThreshold, NO_WINDOW, probationaryLength, scaledSigmoid, scoreAtThreshold, scoreByThreshold, sweepRows, type ThresholdScore } from './sweeper.js';

const STANDARD: CostMatrix = { tpWeight: 1, fnWeight: 1, fpWeight: 0.11, tnWeight: 1 };
const MINUTE = 60_000;

/** Timestamps one minute apart from 0. */
function minutes(count: number): Float64Array {
  return Float64Array.from({ length: count }, (_, index) => index * MINUTE);
}

t.test('scaledSigmoid at window positions', async (t) => {
  t.ok(Math.abs(scaledSigmoid(-1) - 0.98661) < 1e-5, 'left edge');
  t.ok(Math.abs(scaledSigmoid(-0.5) - 0.84828) < 1e-5, 'middle');
  t.equal(scaledSigmoid(0), 0, 'right edge');
  t.ok(Math.abs(scaledSigmoid(1) + 0.98661) < 1e-5, 'one window length after');
  t.equal(scaledSigmoid(3.01), -1, 'beyond three window lengths');
});

t.test('probationaryLength caps at 750 rows', async (t) => {
  t.equal(probationaryLength(1000), 150);
  t.equal(probationaryLength(4032), 604);
  t.equal(probationaryLength(22695), 750);
});

t.test('sweepRows drops probation and weighs rows', async (t) => {
  // 100 rows, with probation over rows 0-14 and one window over rows 40-49.
  const timestamps = minutes(100);
  const scores = new Float64Array(100);
  const rows = sweepRows(timestamps, scores, [{ start: 40 * MINUTE, end: 49 * MINUTE }], STANDARD, 7);

  t.equal(rows.anomalyScores.length, 85, 'rows after probation');
  t.equal(rows.windowCount, 1);
  t.equal(rows.windowIds[40 - 15], 7, 'first window row has the first id');
  t.equal(rows.windowIds[49 - 15], 7, 'last window row');
  t.equal(rows.windowIds[50 - 15], NO_WINDOW, 'row after the window');
  t.equal(rows.sweepScores[20 - 15], -0.11, 'row before any window weighs -fpWeight');
  t.ok(Math.abs(rows.sweepScores[40 - 15]! - 1) < 1e-12, 'left edge weighs tpWeight');
  // Row 49 is at position -(49 - 49 + 1) / 10 = -0.1.
  t.ok(Math.abs(rows.sweepScores[49 - 15]! - scaledSigmoid(-0.1) / scaledSigmoid(-1)) < 1e-12, 'right edge');
  // Row 59 is |49 - 59| / (10 - 1) window lengths after the window.
  t.ok(Math.abs(rows.sweepScores[59 - 15]! - 0.11 * scaledSigmoid(10 / 9)) < 1e-12, 'false positive after the window');
});

t.test('sweepRows rejects unknown window edges', async (t) => {
  t.throws(() => sweepRows(minutes(10), new Float64Array(10), [{ start: 3 * MINUTE, end: 3.5 * MINUTE }], STANDARD), /matches no row/);
});

t.test('sweepRows rejects mismatched lengths', async (t) => {
  t.throws(() => sweepRows(minutes(10), new Float64Array(9), [], STANDARD), /9 anomaly scores for 10 timestamps/);
});

t.test('scoreByThreshold agrees with scoreAtThreshold', async (t) => {
  const timestamps = minutes(200);
  const scores = Float64Array.from({ length: 200 }, (_, index) => ((index * 37) % 101) / 100);
  const windows = [
    { start: 60 * MINUTE, end: 79 * MINUTE },
    { start: 150 * MINUTE, end: 169 * MINUTE },
  ];
  const rows = sweepRows(timestamps, scores, windows, STANDARD);
  const sweep = scoreByThreshold(rows, STANDARD);

  t.equal(sweep[0]!.threshold, 1.1, 'the sweep starts above every score');
  t.equal(sweep[0]!.score, -2, 'no detection misses both windows');
  for (const entry of sweep.slice(1)) {
    const direct = scoreAtThreshold(rows, STANDARD, entry.threshold);
    t.ok(Math.abs(direct.score - entry.score) < 1e-9, `threshold ${entry.threshold}: ${direct.score} vs ${entry.score}`);
    t.same([direct.tp, direct.tn, direct.fp, direct.fn], [entry.tp, entry.tn, entry.fp, entry.fn], `counts at ${entry.threshold}`);
  }
});

t.test('bestThreshold prefers the higher threshold on ties', async (t) => {
  const entry = (threshold: number, score: number): ThresholdScore => ({ threshold, score, tp: 0, tn: 0, fp: 0, fn: 0, total: 0 });
  t.equal(bestThreshold([entry(1.1, -1), entry(0.9, 2), entry(0.8, 2), entry(0.1, 1)]).threshold, 0.9);
  t.throws(() => bestThreshold([]), /no threshold/);
});

t.test('sweepRows edge at first equal timestamp', async (t) => {
  // Rows 30 and 31 share a time, and the window ends at the first of them, as Python's list.index finds it.
  const timestamps = minutes(60);
  timestamps[31] = timestamps[30]!;
  const rows = sweepRows(timestamps, new Float64Array(60), [{ start: 20 * MINUTE, end: 30 * MINUTE }], STANDARD);
  t.equal(rows.windowIds[30 - 9], 0, 'row 30 is in the window');
  t.equal(rows.windowIds[31 - 9], NO_WINDOW, 'the window closed at row 30');
});
