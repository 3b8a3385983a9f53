/**
 * Tail probabilities of the standard normal distribution, in log space so
 * that z-scores far beyond 38 (where the probability underflows a double)
 * still order correctly.
 */

/**
 * Coefficients of a Chebyshev fit for erfc: for x >= 0 and t = 1 / (1 + x / 2),
 * erfc(x) = t * exp(-x^2 + P(t)) with P below. The test checks the relative
 * error against Python's math.erfc at 2e-7, for x up to 26.
 */
const ERFC_POLYNOMIAL = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
] as const;

/** Returns ln(erfc(x)) for x >= 0. */
function logErfcNonNegative(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  let polynomial = 0;
  for (let index = ERFC_POLYNOMIAL.length - 1; index >= 0; index--) polynomial = polynomial * t + ERFC_POLYNOMIAL[index]!;
  return Math.log(t) - x * x + polynomial;
}

/** Returns erfc(x), the complementary error function. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x >= 0) return Math.exp(logErfcNonNegative(x));
  return 2 - Math.exp(logErfcNonNegative(-x));
}

/**
 * Returns log10 of the upper tail probability P(Z > z) of a standard normal
 * Z: 0.5 * erfc(z / sqrt(2)). It is finite for every finite z, about
 * -z^2 / 4.6 for large z, and -Infinity only for z = +Infinity.
 */
export function log10UpperTail(z: number): number {
  if (z === Number.POSITIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  const x = z / Math.SQRT2;
  const lnTail = x >= 0 ? logErfcNonNegative(x) - Math.LN2 : Math.log(1 - 0.5 * Math.exp(logErfcNonNegative(-x)));
  return lnTail / Math.LN10;
}
