import type { Sample } from '../../../grammar/window-reference.js';

/** Splits a finite double into an integer mantissa and a power of two: value = mantissa * 2^exponent. */
function decompose(value: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n === 1n ? -1n : 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  if (biased === 0) return { mantissa: sign * fraction, exponent: -1074 };
  return { mantissa: sign * (fraction | 0x10000000000000n), exponent: biased - 1075 };
}

/**
 * Returns the standard deviation or z-score of the samples, computed exactly
 * in integers and rounded only at the end (a few ulps). The reference's
 * two-pass formula rounds the mean first, which loses digits when the mean
 * is large against the spread. For a gauge at 1e9 that moves by tens, its
 * z-score is off by about 3e-8. For samples a few ulps apart, its standard
 * deviation loses most digits.
 */
export function exactMoments(kind: 'stddev' | 'zscore', samples: readonly Sample[]): number {
  const count = samples.length;
  if (count === 0 || (kind === 'zscore' && count < 2)) return Number.NaN;
  const parts = samples.map((sample) => decompose(sample.v));
  const exponent = Math.min(0, ...parts.filter((part) => part.mantissa !== 0n).map((part) => part.exponent));
  const integers = parts.map((part) => part.mantissa << BigInt(part.exponent - exponent));
  let sum = 0n;
  let squares = 0n;
  for (const integer of integers) {
    sum += integer;
    squares += integer * integer;
  }
  // count^2 * variance, scaled by 2^(-2 * exponent).
  const scaledVariance = BigInt(count) * squares - sum * sum;
  if (kind === 'stddev') return (Math.sqrt(Number(scaledVariance)) / count) * 2 ** exponent;
  if (scaledVariance === 0n) return Number.NaN;
  // (latest - mean) / deviation = (count * latest - sum) / sqrt(count^2 * variance).
  return Number(BigInt(count) * integers[count - 1]! - sum) / Math.sqrt(Number(scaledVariance));
}
