/** Unit roundoff of IEEE 754 binary64: a rounded operation's relative error is at most this. */
const UNIT_ROUNDOFF = 2 ** -53;

/** Veltkamp's splitting constant 2^27 + 1, which splits a double into two 26-bit halves. */
const SPLITTER = 134_217_729;

/**
 * A running sum of doubles kept as an unevaluated pair `hi + lo`
 * (double-double), so that terms can be added and later subtracted again
 * without the rounding error of a large term outliving the term.
 *
 * Each step uses error-free transformations (Knuth's TwoSum, Dekker's
 * product), so the only rounding happens when the low parts are combined.
 * `errorBound` adds up a bound on that rounding. It stays 0 while every step
 * is exact, as for integers below 2^53. A caller that needs a stated
 * accuracy recomputes the sum when the bound grows too large relative to `hi`.
 *
 * Valid while no intermediate value overflows: terms below about 1e154 in
 * magnitude, so that their squares stay finite. Squares of terms below about
 * 1e-146 lose their low bits to underflow, an absolute error under 1e-300
 * that `errorBound` does not count.
 */
export class CompensatedSum {
  /** The sum rounded to a double. */
  hi = 0;
  /** The remainder: the sum is `hi + lo` to about 2^-104 relative, and |lo| is at most half an ulp of `hi`. */
  lo = 0;
  /** Upper bound on |hi + lo - exact sum| from the rounding since the last reset. */
  errorBound = 0;

  /** Adds a double. */
  add(term: number): void {
    const sum = this.hi + term;
    const termPart = sum - this.hi;
    const error = this.hi - (sum - termPart) + (term - termPart);
    this.normalize(sum, error + this.lo);
  }

  /** Adds `sign * term * term`, with the square computed exactly as a pair of doubles. */
  addSquare(term: number, sign: 1 | -1): void {
    const square = term * term;
    const scaled = SPLITTER * term;
    const high = scaled - (scaled - term);
    const low = term - high;
    const squareError = high * high - square + 2 * high * low + low * low;

    const signedSquare = sign * square;
    const sum = this.hi + signedSquare;
    const squarePart = sum - this.hi;
    const error = this.hi - (sum - squarePart) + (signedSquare - squarePart);
    const lowParts = error + this.lo;
    this.errorBound += Math.abs(lowParts) * UNIT_ROUNDOFF;
    this.normalize(sum, lowParts + sign * squareError);
  }

  /** Sets the sum to exactly 0. */
  reset(): void {
    this.hi = 0;
    this.lo = 0;
    this.errorBound = 0;
  }

  /** Stores `sum + rest` as a normalized pair; `rest` is the one rounded value, so its bound is counted here. */
  private normalize(sum: number, rest: number): void {
    this.errorBound += Math.abs(rest) * UNIT_ROUNDOFF;
    const hi = sum + rest;
    const restPart = hi - sum;
    this.lo = sum - (hi - restPart) + (rest - restPart);
    this.hi = hi;
  }
}

/**
 * Returns the sum of squared deviations from the mean, `squares - sum^2 / count`,
 * for the compensated sums of `count` terms and of their squares. The
 * subtraction cancels most digits when the mean is large against the spread,
 * so both operands are formed to about 2^-100 relative before it.
 */
export function squaredDeviations(sum: CompensatedSum, squares: CompensatedSum, count: number): number {
  // (hi + lo)^2 = hi^2 + 2 hi lo + lo^2: hi^2 exactly as a pair, lo^2 is below the precision kept.
  const hi = sum.hi;
  const square = hi * hi;
  const scaled = SPLITTER * hi;
  const high = scaled - (scaled - hi);
  const low = hi - high;
  const squareError = high * high - square + 2 * high * low + low * low + 2 * hi * sum.lo;

  // The pair (square, squareError) divided by count: quotient plus correction.
  const quotient = square / count;
  const product = quotient * count;
  const quotientScaled = SPLITTER * quotient;
  const quotientHigh = quotientScaled - (quotientScaled - quotient);
  const quotientLow = quotient - quotientHigh;
  const countScaled = SPLITTER * count;
  const countHigh = countScaled - (countScaled - count);
  const countLow = count - countHigh;
  const productError = quotientHigh * countHigh - product + quotientHigh * countLow + quotientLow * countHigh + quotientLow * countLow;
  const correction = (square - product - productError + squareError) / count;

  // squares - quotient as an exact pair (TwoSum), then the low parts.
  const negated = -quotient;
  const difference = squares.hi + negated;
  const negatedPart = difference - squares.hi;
  const error = squares.hi - (difference - negatedPart) + (negated - negatedPart);
  return difference + (error + squares.lo - correction);
}
