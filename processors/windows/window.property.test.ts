import fc from 'fast-check';
import t from 'tap';
import { aggregateWindow, samplesInWindow, type Sample } from '../../grammar/window-reference.js';
import { exactMoments } from './test-support/exact-moments.js';
import { createWindow, type SlidingWindow, type WindowKind } from './window.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const RELATIVE_TOLERANCE = 1e-9;

const KINDS: readonly WindowKind[] = [
  'avg',
  'min',
  'max',
  'sum',
  'count',
  'last',
  'rate',
  'delta',
  'stddev',
  'quantile',
  'zscore',
  'absent',
  'robust_zscore',
];

/** Computes the robust z-score from its definition with the reference quantile: 0.6745 * (latest - median) / MAD. */
function robustZscoreReference(samples: readonly Sample[]): number {
  if (samples.length === 0) return Number.NaN;
  const median = aggregateWindow('quantile', samples, 0.5);
  const deviations = samples.map((sample) => ({ t: sample.t, v: Math.abs(sample.v - median) }));
  const mad = aggregateWindow('quantile', deviations, 0.5);
  if (mad === 0) return Number.NaN;
  return (0.6745 * (samples[samples.length - 1]!.v - median)) / mad;
}

type Expectation = 'reference' | 'exact moments';

function expectedValue(kind: WindowKind, samples: readonly Sample[], phi: number, expectation: Expectation): number {
  if (kind === 'robust_zscore') return robustZscoreReference(samples);
  if (expectation === 'exact moments' && (kind === 'stddev' || kind === 'zscore')) return exactMoments(kind, samples);
  return aggregateWindow(kind, samples, phi);
}

/**
 * Relative tolerance, NaN equal to NaN. A z-score gets an absolute floor of
 * the same size: its numerator latest - mean is rounded, so near 0 only its
 * absolute error, in standard deviations, is small.
 */
function close(kind: WindowKind, actual: number, expected: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (actual === expected) return true;
  const scale = Math.max(Math.abs(actual), Math.abs(expected), kind === 'zscore' ? 1 : 0);
  return Math.abs(actual - expected) <= RELATIVE_TOLERANCE * scale;
}

type Operation = { kind: 'add'; offset: number; value: number } | { kind: 'advance'; step: number };

/**
 * Operations on a test clock, in hundredths of the range. An add lands from
 * 1.5 ranges before the clock (late, or too late) to 0.6 ranges after it,
 * where it waits for an advance. An advance moves the clock by up to 1.2
 * ranges, and sometimes back, which the window must ignore.
 */
function operations(value: fc.Arbitrary<number>): fc.Arbitrary<Operation[]> {
  const add = fc.record({ kind: fc.constant('add' as const), offset: fc.integer({ min: -150, max: 60 }), value });
  const advance = fc.record({ kind: fc.constant('advance' as const), step: fc.integer({ min: -20, max: 120 }) });
  return fc.array(fc.oneof({ weight: 3, arbitrary: add }, { weight: 1, arbitrary: advance }), { minLength: 1, maxLength: 160 });
}

const ranges = fc.oneof(fc.constantFrom(1, 2, 10, 1_000, 300_000), fc.integer({ min: 1, max: 3_600_000 }));
const phis = fc.oneof(fc.constantFrom(0, 0.5, 0.95, 1), fc.double({ min: 0, max: 1, noNaN: true }));

/**
 * Replays `steps` on one window of each kind and on a sorted sample list,
 * and throws on the first value or `add` result that differs from the
 * reference. Equal times keep their arrival order in both.
 */
function replay(kinds: readonly WindowKind[], rangeMs: number, phi: number, steps: readonly Operation[], expectation: Expectation = 'reference'): void {
  const windows: SlidingWindow[] = kinds.map((fn) => createWindow({ fn, rangeMs, param: phi }));
  const model: Sample[] = [];
  let now = Number.NEGATIVE_INFINITY;
  let clock = T0;

  for (const [index, step] of steps.entries()) {
    if (step.kind === 'add') {
      const ts = clock + Math.round((step.offset * rangeMs) / 100);
      const accepted = ts > now - rangeMs;
      if (accepted) {
        let position = model.length;
        while (position > 0 && model[position - 1]!.t > ts) position--;
        model.splice(position, 0, { t: ts, v: step.value });
      }
      for (const [slot, window] of windows.entries()) {
        const result = window.add(ts, step.value);
        if (result !== accepted) throw new Error(`${kinds[slot]} at step ${index}: add(${ts}) returned ${result}, expected ${accepted}`);
      }
    } else {
      clock += Math.round((step.step * rangeMs) / 100);
      now = Math.max(now, clock);
      for (const window of windows) window.advance(clock);
    }

    const inWindow = samplesInWindow(model, now, rangeMs);
    for (const [slot, window] of windows.entries()) {
      const kind = kinds[slot]!;
      const expected = expectedValue(kind, inWindow, phi, expectation);
      const actual = window.value();
      if (!close(kind, actual, expected)) {
        throw new Error(`${kind} at step ${index}: value ${actual}, expected ${expected} (${expectation}) over ${JSON.stringify(inWindow)}`);
      }
    }
  }
}

// Quarter steps in [-1000, 1000]: sums are exact in both implementations and
// the smallest non-zero spread is large against the rounding of the mean, so
// every kind, zscore included, must agree to the tolerance.
t.test('windows match reference: quarter-step values', async (t) => {
  const values = fc.integer({ min: -4000, max: 4000 }).map((quarters) => quarters / 4);
  fc.assert(
    fc.property(ranges, phis, operations(values), (rangeMs, phi, steps) => replay(KINDS, rangeMs, phi, steps)),
    { numRuns: 300 },
  );
  t.pass('300 runs');
});

// Few distinct values: many equal samples, ties in min, max and the order
// statistics, flat windows for zscore and a MAD of 0 for robust_zscore.
t.test('windows match reference: few distinct values', async (t) => {
  const values = fc.constantFrom(0, 1, 2, 5);
  fc.assert(
    fc.property(ranges, phis, operations(values), (rangeMs, phi, steps) => replay(KINDS, rangeMs, phi, steps)),
    { numRuns: 300 },
  );
  t.pass('300 runs');
});

// Non-negative doubles, as gauges report them. stddev and zscore are checked
// against the exact computation, because the reference rounds the mean
// before it subtracts it. Values from 1e-6 up, and 0: squares of deviations
// below about 1e-154 underflow, and then every double implementation loses the spread.
t.test('windows match reference: gauge doubles', async (t) => {
  const values = fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 1e6, noNaN: true }));
  fc.assert(
    fc.property(ranges, phis, operations(values), (rangeMs, phi, steps) => replay(KINDS, rangeMs, phi, steps, 'exact moments')),
    { numRuns: 300 },
  );
  t.pass('300 runs');
});

// Counters near 2^40 that grow in arrival order and sometimes reset to 0;
// late arrivals make some of them look like resets too.
t.test('windows match reference: counters with resets', async (t) => {
  const increments = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 100_000 }) }, { weight: 1, arbitrary: fc.constant(-1) });
  const counterSteps = operations(increments).map((steps) => {
    let total = 2 ** 40;
    return steps.map((step): Operation => {
      if (step.kind !== 'add') return step;
      total = step.value < 0 ? 0 : total + step.value;
      return { ...step, value: total };
    });
  });
  fc.assert(
    fc.property(ranges, counterSteps, (rangeMs, steps) => replay(['rate', 'delta', 'sum', 'max', 'stddev'], rangeMs, 0.5, steps)),
    { numRuns: 300 },
  );
  t.pass('300 runs');
});
