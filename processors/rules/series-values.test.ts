import t from 'tap';
import { MAX_SERIES_VALUES, parseSeriesValues } from './series-values.js';

/** [start, end, message] of each issue. */
function issuesOf(text: string): Array<[number, number, string]> {
  return parseSeriesValues(text).issues.map((issue) => [issue.start, issue.end, issue.message]);
}

t.test('series values single numbers', async (t) => {
  t.same(parseSeriesValues('50 95 40').values, [50, 95, 40]);
  t.same(parseSeriesValues('-2 +3 0.5 .25 1e3 2.5E-2 7.').values, [-2, 3, 0.5, 0.25, 1000, 0.025, 7]);
  t.same(parseSeriesValues('  1\t2\n3  ').values, [1, 2, 3], 'any whitespace separates');
});

t.test('series values increasing expansion', async (t) => {
  t.same(parseSeriesValues('1+2x3').values, [1, 3, 5, 7], 'a+bxn is n + 1 samples');
  t.same(parseSeriesValues('-2+4x3').values, [-2, 2, 6, 10]);
  t.same(parseSeriesValues('0+0.1x3').values, [0, 0.1, 0.2, 0.30000000000000004], 'a + i·b, not a running sum');
});

t.test('series values decreasing expansion', async (t) => {
  t.same(parseSeriesValues('1-2x4').values, [1, -1, -3, -5, -7]);
  t.same(parseSeriesValues('1e2-1e1x2').values, [100, 90, 80], 'exponents in start and step');
});

t.test('series values repeat shorthand', async (t) => {
  t.same(parseSeriesValues('95x3').values, [95, 95, 95, 95], 'axn is a+0xn: n + 1 samples');
  t.same(parseSeriesValues('5x0').values, [5]);
});

t.test('series values gaps', async (t) => {
  t.same(parseSeriesValues('1 _ 2').values, [1, null, 2]);
  t.same(parseSeriesValues('1 _x3 2').values, [1, null, null, null, 2], '_xn is n gaps, not n + 1');
  t.same(parseSeriesValues('_x0 1').values, [1]);
});

t.test('series values mixed forms', async (t) => {
  t.same(parseSeriesValues('50 95x20 40').values, [50, ...new Array(21).fill(95), 40]);
  t.same(parseSeriesValues('1 _x2 5+5x2').values, [1, null, null, 5, 10, 15]);
});

t.test('series values invalid tokens', async (t) => {
  t.same(issuesOf('50 95x 40'), [[3, 6, "invalid value '95x': expected a count after 'x', as in 95x10"]]);
  t.same(issuesOf('1+2x'), [[0, 4, "invalid value '1+2x': expected a count after 'x', as in 1+2x10"]]);
  t.same(issuesOf('_x'), [[0, 2, "invalid value '_x': expected a count after 'x', as in _x10"]]);
  t.same(issuesOf('95x2.5'), [[0, 6, "invalid value '95x2.5': the count after 'x' must be a whole number, as in 95x10"]]);
  t.same(issuesOf('95x-2'), [[0, 5, "invalid value '95x-2': the count after 'x' must be a whole number, as in 95x10"]]);
  t.same(issuesOf('1 stale'), [[2, 7, "'stale' is not supported: fleetpulse has no staleness markers, so write _ for a step without a sample"]]);
  t.same(issuesOf('NaN +Inf'), [
    [0, 3, "invalid value 'NaN': samples are finite numbers, because the gateway rejects others"],
    [4, 8, "invalid value '+Inf': samples are finite numbers, because the gateway rejects others"],
  ]);
  t.same(issuesOf('_+1x3'), [[0, 5, "invalid value '_+1x3': a missing sample cannot increase, so write _xN for N missing samples"]]);
  t.same(issuesOf('1,2,3'), [[0, 5, "invalid value '1,2,3': separate samples with spaces, not commas"]]);
  t.same(issuesOf('high'), [[0, 4, "invalid value 'high': write a number such as 95, _ for a missing sample, or an expansion a+bxN, a-bxN or axN such as 95x20"]]);
  t.same(issuesOf('1+-2x3'), [[0, 6, "invalid value '1+-2x3': write a number such as 95, _ for a missing sample, or an expansion a+bxN, a-bxN or axN such as 95x20"]]);
});

t.test('series values every bad token reported', async (t) => {
  const result = parseSeriesValues('1 x 2 y');
  t.equal(result.values, undefined);
  t.same(result.issues.map((issue) => issue.start), [2, 6]);
});

t.test('series values out of range', async (t) => {
  t.same(issuesOf('1e999'), [[0, 5, "number '1e999' is out of range"]]);
  t.same(issuesOf('1e308+1e308x5'), [[0, 13, "'1e308+1e308x5' expands to numbers out of range"]]);
});

t.test('series values empty text', async (t) => {
  t.same(issuesOf('   '), [[0, 3, "'values' is empty: write samples such as '50 95x20 40'"]]);
});

t.test('series values length limit', async (t) => {
  t.equal(parseSeriesValues(`1x${MAX_SERIES_VALUES - 1}`).values?.length, MAX_SERIES_VALUES);
  t.same(issuesOf(`1 2x${MAX_SERIES_VALUES}`), [[2, 10, `'2x${MAX_SERIES_VALUES}' makes the series longer than ${MAX_SERIES_VALUES} samples: shorten it or raise 'interval'`]]);
  t.same(issuesOf('1x10000000000'), [[0, 13, `'1x10000000000' makes the series longer than ${MAX_SERIES_VALUES} samples: shorten it or raise 'interval'`]]);
});
