import t from 'tap';
import { erfc, log10UpperTail } from './normal.js';

/** erfc(x) from Python 3's math.erfc, which is accurate to a few ulp. */
const ERFC_REFERENCE: ReadonlyArray<[number, number]> = [
  [0, 1],
  [0.1, 0.8875370839817152],
  [0.5, 0.4795001221869535],
  [1, 0.15729920705028513],
  [2, 0.004677734981047265],
  [3, 2.2090496998585438e-5],
  [5, 1.5374597944280351e-12],
  [8, 1.1224297172982928e-29],
  [10, 2.088487583762545e-45],
  [15, 7.212994172451206e-100],
  [20, 5.3958656116079005e-176],
  [26, 5.663192408856143e-296],
  [-0.5, 1.5204998778130465],
  [-2, 1.9953222650189528],
];

t.test('erfc matches reference values', async (t) => {
  for (const [x, expected] of ERFC_REFERENCE) {
    const relativeError = Math.abs(erfc(x) - expected) / expected;
    t.ok(relativeError < 2e-7, `erfc(${x}) = ${erfc(x)}, expected ${expected}`);
  }
  t.ok(Number.isNaN(erfc(Number.NaN)), 'NaN stays NaN');
});

t.test('log10UpperTail of common z-scores', async (t) => {
  // P(Z > z) for the standard normal: 0.5, 0.158655, 0.0227501, 0.00134990, 2.86652e-7.
  const cases: ReadonlyArray<[number, number]> = [
    [0, 0.5],
    [1, 0.15865525393145707],
    [2, 0.022750131948179195],
    [3, 0.0013498980316301035],
    [5, 2.866515718791939e-7],
    [-1, 0.8413447460685429],
    [-6, 0.9999999990134123],
  ];
  for (const [z, tail] of cases) {
    t.ok(Math.abs(log10UpperTail(z) - Math.log10(tail)) < 1e-7, `z = ${z}: ${log10UpperTail(z)}, expected ${Math.log10(tail)}`);
  }
});

t.test('log10UpperTail stays finite far out', async (t) => {
  // ln P(Z > z) = -z^2 / 2 - ln(z * sqrt(2 * pi)) + O(z^-2) for large z.
  for (const z of [40, 100, 1e4]) {
    const asymptotic = (-(z * z) / 2 - Math.log(z * Math.sqrt(2 * Math.PI))) / Math.LN10;
    t.ok(Math.abs(log10UpperTail(z) - asymptotic) / -asymptotic < 1e-3, `z = ${z}: ${log10UpperTail(z)}, expected about ${asymptotic}`);
  }
  t.ok(log10UpperTail(41) < log10UpperTail(40), 'a larger z gives a smaller tail');
  t.equal(log10UpperTail(Number.POSITIVE_INFINITY), Number.NEGATIVE_INFINITY);
  t.equal(log10UpperTail(Number.NEGATIVE_INFINITY), 0);
});
