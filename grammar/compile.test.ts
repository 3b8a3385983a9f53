import t from 'tap';
import { buildCondition, compileCondition, type CompiledCondition } from './compile.js';
import { parseCondition } from './parse.js';
import { latestValues, mapContext, type MapInput } from './test-support/map-context.js';

function compile(source: string): CompiledCondition {
  const built = buildCondition(source);
  if (built.condition === undefined) throw new Error(`${source}: ${built.issues.map((issue) => issue.message).join('; ')}`);
  return built.condition;
}

function holds(source: string, input: MapInput): boolean {
  const condition = compile(source);
  return condition.evaluate(mapContext(condition, input));
}

function valueOf(source: string, input: MapInput): number {
  const condition = compile(source);
  return condition.value(mapContext(condition, input));
}

const minute = 60_000;

t.test('compile thresholds', async (t) => {
  t.equal(holds('cpu_usage > 90', latestValues({ cpu_usage: 95 })), true);
  t.equal(holds('cpu_usage > 90', latestValues({ cpu_usage: 90 })), false);
  t.equal(holds('cpu_usage >= 90', latestValues({ cpu_usage: 90 })), true);
  t.equal(holds('cpu_usage < 10', latestValues({ cpu_usage: 5 })), true);
  t.equal(holds('cpu_usage <= 10', latestValues({ cpu_usage: 10 })), true);
  t.equal(holds('cpu_usage == 10', latestValues({ cpu_usage: 10 })), true);
  t.equal(holds('cpu_usage != 10', latestValues({ cpu_usage: 11 })), true);
  t.equal(holds('90 < cpu_usage', latestValues({ cpu_usage: 95 })), true);
});

t.test('compile missing data makes comparisons false', async (t) => {
  for (const operator of ['>', '>=', '<', '<=', '==', '!=']) {
    t.equal(holds(`cpu_usage ${operator} 90`, {}), false, `latest ${operator}`);
    t.equal(holds(`90 ${operator} cpu_usage`, {}), false, `reversed ${operator}`);
    t.equal(holds(`cpu_usage ${operator} mem`, latestValues({ mem: 1 })), false, `two selectors ${operator}`);
    t.equal(holds(`avg(cpu_usage, 5m) ${operator} 90`, {}), false, `window ${operator}`);
  }
  t.equal(holds('cpu_usage + 1 > 0', {}), false, 'NaN propagates through arithmetic');
  t.equal(holds('cpu_usage in [1, 2]', {}), false);
  t.equal(holds('cpu_usage not in [1, 2]', {}), false);
  t.equal(holds('not (cpu_usage > 90)', {}), true, 'not negates the false comparison');
});

t.test('compile arithmetic', async (t) => {
  const input = latestValues({ a: 7, b: 2 });
  t.equal(holds('a + b == 9', input), true);
  t.equal(holds('a - b == 5', input), true);
  t.equal(holds('a * b == 14', input), true);
  t.equal(holds('a / b == 3.5', input), true);
  t.equal(holds('a % b == 1', input), true);
  t.equal(holds('-a == -7', input), true);
  t.equal(holds('a - b - 1 == 4', input), true, 'left-associative');
  t.equal(holds('a + b * 2 == 11', input), true, 'multiplication first');
  t.equal(holds('(a + b) * 2 == 18', input), true);
  t.equal(holds('a / 0 > 1e300', input), true, 'division by zero gives Infinity');
  t.equal(holds('2 * 3 + 1 == 7', {}), true, 'constants fold');
});

t.test('compile logic operators', async (t) => {
  const input = latestValues({ a: 1, b: 0 });
  t.equal(holds('a > 0 and b > 0', input), false);
  t.equal(holds('a > 0 or b > 0', input), true);
  t.equal(holds('not (b > 0)', input), true);
  t.equal(holds('not not (a > 0)', input), true);
  t.equal(holds('true and a > 0', input), true);
  t.equal(holds('false or a > 0', input), true);
  t.equal(holds('false and a > 0', input), false);
  t.equal(holds('(a > 0) == (b > 0)', input), false);
  t.equal(holds('(a > 0) != (b > 0)', input), true);
});

t.test('compile tags', async (t) => {
  const tags = { env: 'prod', role: 'db', host: 'db-12' };
  t.equal(holds('tag.env == "prod"', { tags }), true);
  t.equal(holds('tag.env != "prod"', { tags }), false);
  t.equal(holds('tag.role in ["db", "cache"]', { tags }), true);
  t.equal(holds('tag.role not in ["db", "cache"]', { tags }), false);
  t.equal(holds('tag.host =~ "db-[0-9]+"', { tags }), true);
  t.equal(holds('tag.host =~ "db"', { tags }), false, 'regexes are anchored');
  t.equal(holds('tag.host !~ "web-.*"', { tags }), true);
  t.equal(holds('tag.env == tag.role', { tags }), false);
  t.equal(holds('tag.region == ""', { tags }), true, 'a missing tag reads as the empty string');
  t.equal(holds('tag.region != "eu"', { tags }), true);
  t.equal(holds('tag.region not in ["eu"]', { tags }), true);
});

t.test('compile membership of numbers', async (t) => {
  t.equal(holds('code in [500, 502, 503]', latestValues({ code: 502 })), true);
  t.equal(holds('code not in [500, 502, 503]', latestValues({ code: 200 })), true);
  t.equal(holds('code in [x, 2]', latestValues({ code: 5, x: 5 })), true, 'non-constant items');
  t.equal(holds('code not in [x, 2]', latestValues({ code: 5, x: 5 })), false);
});

t.test('compile label matchers', async (t) => {
  const condition = compile('disk_used_pct{mount="/", fs=~"ext.*", device!="tmpfs", path!~"/snap/.*"} > 90');
  const selector = condition.selectors[0]!;
  t.equal(selector.metric, 'disk_used_pct');
  t.equal(selector.key, 'disk_used_pct{device!="tmpfs", fs=~"ext.*", mount="/", path!~"/snap/.*"}');
  t.equal(selector.matches({ mount: '/', fs: 'ext4', device: 'sda1', path: '/' }), true);
  t.equal(selector.matches({ mount: '/', fs: 'xfs', device: 'sda1' }), false, 'regex miss');
  t.equal(selector.matches({ mount: '/', fs: 'ext4x', device: 'sda1' }), true, 'ext4x matches ext.*');
  t.equal(selector.matches({ mount: '/', fs: 'myext4', device: 'sda1' }), false, 'anchored at the start');
  t.equal(selector.matches({ mount: '/', fs: 'ext4', device: 'tmpfs' }), false, '!= excludes');
  t.equal(selector.matches({ mount: '/', fs: 'ext4', path: '/snap/core' }), false, '!~ excludes');
  t.equal(selector.matches({ fs: 'ext4' }), false, 'a missing label reads as the empty string');
  t.equal(compile('x{a!=""} > 1').selectors[0]!.matches({}), false);
  t.equal(compile('x > 1').selectors[0]!.matches({ any: 'thing' }), true);
});

t.test('compile slots are distinct and ordered', async (t) => {
  const condition = compile(
    'avg(cpu{core="0"}, 5m) > 80 and cpu{core="0"} > 90 and avg(cpu{ core = "0" }, 5m) < 100 and mem > 1 and tag.env == "prod" and tag.env != "dev" and tag.role == "db" and absent(5m) and absent(mem, 5m) and quantile(0.9, lat, 1m) > 1',
  );
  t.same(condition.selectors.map((selector) => [selector.key, selector.readsLatest]), [
    ['cpu{core="0"}', true],
    ['mem', true],
    ['lat', false],
  ]);
  t.same(condition.windows, [
    { selector: 0, fn: 'avg', rangeMs: 5 * minute },
    { selector: null, fn: 'absent', rangeMs: 5 * minute },
    { selector: 1, fn: 'absent', rangeMs: 5 * minute },
    { selector: 2, fn: 'quantile', rangeMs: minute, param: 0.9 },
  ]);
  t.same(condition.tags, ['env', 'role']);
  t.equal(condition.anchor, 0);
  t.equal(condition.longestWindowMs, 5 * minute);
  t.equal(compile('x > 1').longestWindowMs, 0);
});

t.test('compile anchor selector', async (t) => {
  t.equal(compile('cpu > 90').anchor, 0);
  t.equal(compile('absent(heartbeat, 5m) or cpu > 90').anchor, 1, 'absent does not anchor');
  t.equal(compile('absent(heartbeat, 5m)').anchor, null);
  t.equal(compile('absent(5m) and tag.env == "prod"').anchor, null);
  t.equal(compile('zscore(cpu, 1h) > 3').anchor, 0, 'a window anchors');
});

t.test('compile window functions', async (t) => {
  const samples = [
    { t: 0, v: 10 },
    { t: minute, v: 20 },
    { t: 2 * minute, v: 30 },
    { t: 3 * minute, v: 40 },
  ];
  const input: MapInput = { series: { x: samples }, now: 3 * minute };
  t.equal(valueOf('avg(x, 5m) > 0', input), 25);
  t.equal(valueOf('avg(x, 2m) > 0', input), 35, 'window is (now - 2m, now]');
  t.equal(valueOf('min(x, 5m) > 0', input), 10);
  t.equal(valueOf('max(x, 5m) > 0', input), 40);
  t.equal(valueOf('sum(x, 5m) > 0', input), 100);
  t.equal(valueOf('count(x, 5m) > 0', input), 4);
  t.equal(valueOf('last(x, 5m) > 0', input), 40);
  t.equal(valueOf('delta(x, 5m) > 0', input), 30);
  t.equal(valueOf('rate(x, 5m) > 0', input), 30 / 180);
  t.equal(valueOf('quantile(0.5, x, 5m) > 0', input), 25);
  t.ok(Math.abs(valueOf('stddev(x, 5m) > 0', input) - Math.sqrt(125)) < 1e-9);
  t.ok(Math.abs(valueOf('zscore(x, 5m) > 0', input) - 15 / Math.sqrt(125)) < 1e-9);
  t.equal(holds('avg(x, 5m) > 24 and avg(x, 5m) < 26', input), true);
  t.equal(holds('avg(x, 5m) > 80', { series: { x: samples }, now: 60 * minute }), false, 'an empty window is missing data');
});

t.test('compile absent', async (t) => {
  const series = { heartbeat: [{ t: 0, v: 1 }], cpu: [{ t: 4 * minute, v: 1 }] };
  t.equal(holds('absent(heartbeat, 2m)', { series, now: 5 * minute }), true);
  t.equal(holds('absent(heartbeat, 10m)', { series, now: 5 * minute }), false);
  t.equal(holds('absent(2m)', { series, now: 5 * minute }), false, 'cpu arrived within 2m');
  t.equal(holds('absent(2m)', { series, now: 7 * minute }), true);
  t.equal(holds('absent(other, 2m)', { series, now: 5 * minute }), true, 'a metric never seen is absent');
  t.equal(valueOf('absent(2m)', { series, now: 7 * minute }), 1);
  t.equal(valueOf('absent(2m)', { series, now: 5 * minute }), 0);
});

t.test('compile value of the outermost comparison', async (t) => {
  const input = latestValues({ cpu: 93, mem: 40, disk: 70 }, { env: 'prod' });
  t.equal(valueOf('cpu > 90', input), 93);
  t.equal(valueOf('cpu + 7 > 90', input), 100, 'the whole left operand');
  t.equal(valueOf('tag.env == "prod" and cpu > 90', input), 93, 'string comparisons are skipped');
  t.equal(valueOf('(cpu > 90 and mem > 30) or disk > 95', input), 70, 'shallowest first');
  t.equal(valueOf('not (mem > 90)', input), 40);
  t.equal(valueOf('tag.env == "prod"', input), 1, 'no numeric comparison: 1 when it holds');
  t.equal(valueOf('tag.env == "dev"', input), 0);
  t.ok(Number.isNaN(valueOf('missing > 1', input)), 'missing data shows as NaN');
});

t.test('compile rejects unchecked trees', async (t) => {
  t.throws(() => compileCondition(parseCondition('avgg(x, 5m) > 1').ast!), /unknown function 'avgg'/);
  t.throws(() => compileCondition(parseCondition('x').ast!), /expected a boolean expression/);
});

t.test('buildCondition returns issues', async (t) => {
  const syntax = buildCondition('cpu >');
  t.equal(syntax.condition, undefined);
  t.equal(syntax.ast, undefined);
  t.equal(syntax.issues.length, 1);
  const types = buildCondition('cpu > "a"');
  t.equal(types.condition, undefined);
  t.not(types.ast, undefined);
  t.equal(types.issues.length, 1);
  t.equal(buildCondition('avg(x, 2h) > 1', { maxWindowMs: 3_600_000 }).issues[0]!.message, 'the window 2h is longer than the maximum of 1h');
});

t.test('compile uses no code evaluation', async (t) => {
  // Conditions that would run code if text were evaluated are plain data here.
  const condition = compile('tag.x == "\\"); process.exit(1); (\\""');
  t.equal(condition.evaluate(mapContext(condition, { tags: { x: 'y' } })), false);
  const { readdirSync, readFileSync } = await import('node:fs');
  const directory = new URL('./', import.meta.url);
  const sources = readdirSync(directory).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
  sources.push('generated/parser.js');
  for (const name of sources) {
    t.notMatch(readFileSync(new URL(name, directory), 'utf8'), /\beval\s*\(|new Function\b/, name);
  }
});
