import t from 'tap';
import { checkCondition, DEFAULT_MAX_WINDOW_MS, typeOf, type CheckOptions } from './check.js';
import { parseCondition } from './parse.js';

function issuesOf(source: string, options: CheckOptions = {}): Array<{ message: string; text: string }> {
  const parsed = parseCondition(source);
  if (parsed.ast === undefined) throw new Error(`${source} does not parse: ${parsed.issues[0]!.message}`);
  return checkCondition(parsed.ast, source, options).map((issue) => ({ message: issue.message, text: source.slice(issue.start, issue.end) }));
}

t.test('check accepts every construct', async (t) => {
  const valid = [
    'cpu_usage > 90',
    'disk_used_pct{mount="/", device!~"loop.*"} >= 90',
    'tag.env == "prod" and tag.role in ["db", "cache"]',
    'tag.role not in ["db"] or tag.host =~ "db-[0-9]+" or tag.host !~ `web-\\d+`',
    'avg(cpu_usage, 5m) > 80',
    'min(x, 30s) < 1 and max(x, 1h) > 2 and sum(x, 1m) > 3 and count(x, 1m) > 4',
    'last(x, 5m) != 0 and rate(requests_total, 5m) > 100 and delta(x, 10m) < 0',
    'stddev(x, 1h) > 2 and quantile(0.95, latency_ms, 5m) > 250',
    'quantile(0, x, 1m) > 0 and quantile(1, x, 1m) > 0',
    'zscore(cpu_usage, 1h) > 3',
    'absent(5m)',
    'absent(heartbeat{kind="agent"}, 2m)',
    'not absent(5m)',
    '(cpu_usage + mem_used_pct) / 2 % 100 * -1 > 0',
    'true',
    '(x > 1) == (y > 2)',
    'cpu_usage in [1, 2, 3]',
    'avg(x, 1d) > 0',
  ];
  for (const source of valid) t.same(issuesOf(source), [], source);
});

t.test('check unknown functions', async (t) => {
  t.same(issuesOf('avgg(cpu, 5m) > 1'), [{ message: "unknown function 'avgg': did you mean 'avg'?", text: 'avgg' }]);
  t.same(issuesOf('qantile(0.9, x, 5m) > 1'), [{ message: "unknown function 'qantile': did you mean 'quantile'?", text: 'qantile' }]);
  t.same(issuesOf('median(x, 5m) > 1'), [
    {
      message: "unknown function 'median': the functions are avg, min, max, sum, count, last, rate, delta, stddev, quantile, zscore, robust_zscore, absent",
      text: 'median',
    },
  ]);
});

t.test('check wrong arity', async (t) => {
  t.same(issuesOf('avg(cpu) > 1'), [{ message: 'avg takes 2 arguments (metric, window) but was given 1', text: 'avg(cpu)' }]);
  t.same(issuesOf('quantile(cpu, 5m) > 1'), [{ message: 'quantile takes 3 arguments (φ, metric, window) but was given 2', text: 'quantile(cpu, 5m)' }]);
  t.same(issuesOf('absent()'), [{ message: 'absent takes 1 argument (window) or 2 arguments (metric, window) but was given 0', text: 'absent()' }]);
});

t.test('check argument kinds', async (t) => {
  t.same(issuesOf('avg(cpu + 1, 5m) > 1'), [
    { message: `the first argument of avg must be a metric selector, such as cpu_usage or disk_used_pct{mount="/"}, but found 'cpu + 1'`, text: 'cpu + 1' },
  ]);
  t.same(issuesOf('avg(rate(x, 1m), 5m) > 1'), [
    { message: `the first argument of avg must be a metric selector, such as cpu_usage or disk_used_pct{mount="/"}, but found 'rate(x, 1m)'`, text: 'rate(x, 1m)' },
  ]);
  t.same(issuesOf('avg(cpu, 5) > 1'), [{ message: "expected a duration such as 5m after ',' but found '5'", text: '5' }]);
  t.same(issuesOf('absent(5)'), [{ message: "expected a duration such as 5m after '(' but found '5'", text: '5' }]);
  t.same(issuesOf('quantile(x, lat, 5m) > 1'), [
    { message: "the first argument of quantile must be a number between 0 and 1, such as 0.95, but found 'x'", text: 'x' },
  ]);
});

t.test('check window durations', async (t) => {
  t.same(issuesOf('avg(cpu, 0s) > 1'), [{ message: 'the window must be longer than zero, but got 0s', text: '0s' }]);
  t.same(issuesOf('avg(cpu, -5m) > 1'), [{ message: 'the window must be longer than zero, but got -5m', text: '-5m' }]);
  t.same(issuesOf('avg(cpu, 2d) > 1'), [{ message: 'the window 2d is longer than the maximum of 1d', text: '2d' }]);
  t.same(issuesOf('avg(cpu, 2h) > 1', { maxWindowMs: 3_600_000 }), [{ message: 'the window 2h is longer than the maximum of 1h', text: '2h' }]);
  t.same(issuesOf('avg(cpu, 2d) > 1', { maxWindowMs: 7 * DEFAULT_MAX_WINDOW_MS }), []);
  t.same(issuesOf('avg(cpu, 99999999999999999999d) > 1'), [
    { message: 'the window 99999999999999999999d is longer than the maximum of 1d', text: '99999999999999999999d' },
  ]);
});

t.test('check quantile range', async (t) => {
  t.same(issuesOf('quantile(95, lat, 5m) > 1'), [
    { message: 'the quantile φ must be between 0 and 1, but got 95: write percentiles as fractions, such as 0.95 for the 95th percentile', text: '95' },
  ]);
  t.same(issuesOf('quantile(-0.1, lat, 5m) > 1'), [{ message: 'the quantile φ must be between 0 and 1, but got -0.1', text: '-0.1' }]);
});

t.test('check regular expressions', async (t) => {
  t.same(issuesOf('x{a=~"("} > 1'), [{ message: `invalid regular expression "(" for label 'a': unterminated group`, text: '"("' }]);
  t.same(issuesOf('x{a!~"[z-a]"} > 1'), [
    { message: `invalid regular expression "[z-a]" for label 'a': range out of order in character class`, text: '"[z-a]"' },
  ]);
  t.same(issuesOf('tag.host =~ "*"'), [{ message: `invalid regular expression "*" after '=~': nothing to repeat`, text: '"*"' }]);
  t.same(issuesOf('cpu =~ "a"'), [{ message: "'=~' matches strings, but its left operand 'cpu' is a number", text: 'cpu' }]);
  t.same(issuesOf('tag.host =~ tag.other'), [
    { message: `the right operand of '=~' must be a string holding a regular expression, such as "prod-.*"`, text: 'tag.other' },
  ]);
});

t.test('check comparison types', async (t) => {
  t.same(issuesOf('"a" == cpu'), [{ message: `cannot compare a string with a number: '"a"' is a string and 'cpu' is a number`, text: '"a" == cpu' }]);
  t.same(issuesOf('(x > 1) == 1'), [{ message: `cannot compare a boolean with a number: '(x > 1)' is a boolean and '1' is a number`, text: '(x > 1) == 1' }]);
  t.same(issuesOf('tag.env == 5'), [{ message: 'tag values are strings: compare \'tag.env\' with a string, such as "5"', text: 'tag.env == 5' }]);
  t.same(issuesOf('5 != tag.env'), [{ message: 'tag values are strings: compare \'tag.env\' with a string, such as "5"', text: '5 != tag.env' }]);
  t.same(issuesOf('tag.env > 5'), [{ message: "'>' compares numbers, but its left operand 'tag.env' is a string (tag values are strings)", text: 'tag.env' }]);
  t.same(issuesOf('x <= "a"'), [{ message: `'<=' compares numbers, but its right operand '"a"' is a string`, text: '"a"' }]);
});

t.test('check arithmetic and logic types', async (t) => {
  t.same(issuesOf('true + 1 > 0'), [{ message: "'+' needs numbers, but its left operand 'true' is a boolean", text: 'true' }]);
  t.same(issuesOf('x * tag.a > 0'), [{ message: "'*' needs numbers, but its right operand 'tag.a' is a string", text: 'tag.a' }]);
  t.same(issuesOf('-(x > 1) > 0'), [{ message: "unary minus needs a number, but '(x > 1)' is a boolean", text: '(x > 1)' }]);
  t.same(issuesOf('cpu and mem > 1'), [{ message: "'and' needs boolean operands, but its left operand 'cpu' is a number", text: 'cpu' }]);
  t.same(issuesOf('x > 1 or "a"'), [{ message: `'or' needs boolean operands, but its right operand '"a"' is a string`, text: '"a"' }]);
  t.same(issuesOf('not cpu > 90'), [
    { message: "'not' needs a boolean, but 'cpu' is a number: 'not' binds tighter than comparisons, so write not (cpu > 90)", text: 'cpu' },
  ]);
  t.same(issuesOf('not tag.env'), [{ message: "'not' needs a boolean, but 'tag.env' is a string", text: 'tag.env' }]);
});

t.test('check membership', async (t) => {
  t.same(issuesOf('tag.role in "db"'), [{ message: `'in' needs a list on its right, such as ["db", "cache"], but '"db"' is a string`, text: '"db"' }]);
  t.same(issuesOf('tag.role not in tag.x'), [
    { message: `'not in' needs a list on its right, such as ["db", "cache"], but 'tag.x' is a string`, text: 'tag.x' },
  ]);
  t.same(issuesOf('tag.role in ["db", 5]'), [
    { message: "the items of the list must have the type of 'tag.role', which is a string, but '5' is a number", text: '5' },
  ]);
  t.same(issuesOf('(x > 1) in [true]'), [{ message: "'in' tests a number or a string, but '(x > 1)' is a boolean", text: '(x > 1)' }]);
});

t.test('check lists and durations out of place', async (t) => {
  t.same(issuesOf('[1, 2] == 1'), [
    { message: `a list can only be the right operand of 'in' or 'not in', as in tag.role in ["db", "cache"]`, text: '[1, 2]' },
  ]);
  t.same(issuesOf('cpu + 5m > 1'), [
    { message: 'a duration such as 5m can only be the window argument of a function, as in avg(cpu_usage, 5m)', text: '5m' },
  ]);
});

t.test('check top-level type', async (t) => {
  t.same(issuesOf('cpu_usage'), [
    { message: "the condition must be true or false, but 'cpu_usage' is a number: compare it, as in cpu_usage > 90", text: 'cpu_usage' },
  ]);
  t.same(issuesOf('tag.env'), [
    { message: `the condition must be true or false, but 'tag.env' is a string: compare it, as in tag.env == "prod"`, text: 'tag.env' },
  ]);
  t.same(issuesOf('90'), [{ message: "the condition must be true or false, but '90' is a number: compare it, as in cpu_usage > 90", text: '90' }]);
  t.same(issuesOf('avg(cpu_usage, 5m)'), [
    {
      message: "the condition must be true or false, but 'avg(cpu_usage, 5m)' is a number: compare it, as in avg(cpu_usage, 5m) > 90",
      text: 'avg(cpu_usage, 5m)',
    },
  ]);
});

t.test('check numbers out of range', async (t) => {
  t.same(issuesOf('cpu > 1e999'), [{ message: "number '1e999' is out of range", text: '1e999' }]);
});

t.test('check reports every issue in source order', async (t) => {
  const issues = issuesOf('avgg(x, 5m) > 1 and tag.env == 5 and avg(x, 0s) > 1 and quantile(2, x, 5m) > 0');
  t.same(
    issues.map((issue) => issue.text),
    ['avgg', 'tag.env == 5', '0s', '2'],
  );
});

t.test('check typeOf on checked trees', async (t) => {
  const cases: Array<[string, string]> = [
    ['1', 'number'],
    ['x', 'number'],
    ['"a"', 'string'],
    ['tag.a', 'string'],
    ['true', 'boolean'],
    ['avg(x, 5m)', 'number'],
    ['absent(5m)', 'boolean'],
    ['-x', 'number'],
    ['not true', 'boolean'],
    ['x + 1', 'number'],
    ['x > 1', 'boolean'],
    ['[1]', 'list'],
  ];
  for (const [source, type] of cases) t.equal(typeOf(parseCondition(source).ast!), type, source);
});

t.test('check zscore minimum samples', async (t) => {
  const issues = (source: string) => {
    const parsed = parseCondition(source);
    return parsed.ast ? checkCondition(parsed.ast, source).map((issue) => issue.message) : parsed.issues.map((issue) => issue.message);
  };
  t.same(issues('zscore(latency_ms, 1h, 30) > 3'), []);
  t.same(issues('robust_zscore(latency_ms, 1h) > 3.5'), []);
  t.same(issues('zscore(latency_ms, 1h, 1.5) > 3'), ["the third argument of zscore must be a whole number of samples, such as 30, but found '1.5'"]);
  t.same(issues('robust_zscore(latency_ms, 1h, 1) > 3'), ['robust_zscore needs at least 2 samples to score, but the minimum is 1']);
  t.same(issues('zscore(latency_ms, 1h, 30, 2) > 3'), ['zscore takes 2 arguments (metric, window) or 3 arguments (metric, window, minimum samples) but was given 4']);
});
