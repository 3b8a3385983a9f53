import t from 'tap';
import type { Expr } from './ast.js';
import { MAX_DEPTH, parseCondition } from './parse.js';

/** Drops locations so trees compare by shape. */
function shape(node: unknown): unknown {
  return JSON.parse(JSON.stringify(node, (key, value: unknown) => (key.endsWith('oc') && key !== 'op' ? undefined : value)));
}

function tree(source: string): unknown {
  const result = parseCondition(source);
  if (result.ast === undefined) throw new Error(`${source}: ${result.issues.map((issue) => issue.message).join('; ')}`);
  return shape(result.ast);
}

/** Writes a tree as fully parenthesized text, which shows how it grouped. */
function grouping(source: string): string {
  const show = (node: Expr): string => {
    switch (node.kind) {
      case 'binary':
        return `(${show(node.left)} ${node.op} ${show(node.right)})`;
      case 'unary':
        return `(${node.op === 'not' ? 'not ' : '-'}${show(node.operand)})`;
      case 'selector':
        return node.metric;
      case 'number':
        return node.text;
      case 'tag':
        return `tag.${node.name}`;
      case 'boolean':
        return String(node.value);
      default:
        return node.kind;
    }
  };
  const result = parseCondition(source);
  if (result.ast === undefined) throw new Error(`${source}: ${result.issues[0]!.message}`);
  return show(result.ast);
}

function firstIssue(source: string): { message: string; start: number; end: number } {
  const result = parseCondition(source);
  if (result.issues.length === 0) throw new Error(`${source} parsed without issues`);
  return result.issues[0]!;
}

const selector = (metric: string, matchers: unknown[] = []) => ({ kind: 'selector', metric, matchers });
const number = (value: number, text = String(value)) => ({ kind: 'number', value, text });
const string = (value: string) => ({ kind: 'string', value });

t.test('parse literals', async (t) => {
  t.same(tree('42'), number(42));
  t.same(tree('0.5'), number(0.5));
  t.same(tree('1e3'), number(1000, '1e3'));
  t.same(tree('2.5E-2'), number(0.025, '2.5E-2'));
  t.same(tree('true'), { kind: 'boolean', value: true });
  t.same(tree('false'), { kind: 'boolean', value: false });
  t.same(tree('"prod"'), string('prod'));
  t.same(tree('"a\\"b\\\\c\\n\\t\\r\\u00e9"'), string('a"b\\c\n\t\ré'));
  t.same(tree('`10\\.0\\..*`'), string('10\\.0\\..*'));
  t.same(tree('[]'), { kind: 'list', items: [] });
  t.same(tree('["db", "cache",]'), { kind: 'list', items: [string('db'), string('cache')] });
});

t.test('parse durations', async (t) => {
  const cases: Array<[string, number]> = [
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['0s', 0],
  ];
  for (const [text, ms] of cases) {
    t.same(tree(`avg(x, ${text})`), { kind: 'call', name: 'avg', args: [selector('x'), { kind: 'duration', ms, text }] }, text);
  }
});

t.test('parse selectors and matchers', async (t) => {
  t.same(tree('cpu_usage'), selector('cpu_usage'));
  t.same(tree('node:cpu:rate5m'), selector('node:cpu:rate5m'));
  t.same(tree('cpu_usage{}'), selector('cpu_usage'));
  t.same(
    tree('disk_used_pct{mount="/", device!="tmpfs", fs=~"ext.*", path!~"/snap/.*",}'),
    selector('disk_used_pct', [
      { label: 'mount', op: '=', value: '/' },
      { label: 'device', op: '!=', value: 'tmpfs' },
      { label: 'fs', op: '=~', value: 'ext.*' },
      { label: 'path', op: '!~', value: '/snap/.*' },
    ]),
  );
  t.same(tree('disk { mount = "/" }'), selector('disk', [{ label: 'mount', op: '=', value: '/' }]));
});

t.test('parse tags, calls and membership', async (t) => {
  t.same(tree('tag.env == "prod"'), { kind: 'binary', op: '==', left: { kind: 'tag', name: 'env' }, right: string('prod') });
  t.same(tree('tag.role in ["db", "cache"]'), {
    kind: 'binary',
    op: 'in',
    left: { kind: 'tag', name: 'role' },
    right: { kind: 'list', items: [string('db'), string('cache')] },
  });
  t.equal(grouping('tag.role not in ["db"]'), '(tag.role not in list)');
  t.same(tree('quantile(0.95, latency_ms, 5m)'), {
    kind: 'call',
    name: 'quantile',
    args: [number(0.95), selector('latency_ms'), { kind: 'duration', ms: 300_000, text: '5m' }],
  });
  t.same(tree('absent(10m)'), { kind: 'call', name: 'absent', args: [{ kind: 'duration', ms: 600_000, text: '10m' }] });
  t.same(tree('avg (cpu, 5m)'), tree('avg(cpu, 5m)'));
  t.same(tree('f()'), { kind: 'call', name: 'f', args: [] });
});

t.test('parse precedence table', async (t) => {
  const cases: Array<[string, string]> = [
    ['a or b and c', '(a or (b and c))'],
    ['a and b or c', '((a and b) or c)'],
    ['a > 1 and b < 2', '((a > 1) and (b < 2))'],
    ['not a and b', '((not a) and b)'],
    ['not a == b', '((not a) == b)'],
    ['a == not b', '(a == (not b))'],
    ['not a + b', '(not (a + b))'],
    ['not not a', '(not (not a))'],
    ['a + b * c', '(a + (b * c))'],
    ['a * b + c', '((a * b) + c)'],
    ['a - b - c', '((a - b) - c)'],
    ['a / b % c', '((a / b) % c)'],
    ['-a * b', '((-a) * b)'],
    ['a * -b', '(a * (-b))'],
    ['- -a', '(-(-a))'],
    ['a - -b', '(a - (-b))'],
    ['(a + b) * c', '((a + b) * c)'],
    ['a + b > c * d', '((a + b) > (c * d))'],
    ['a > b or c >= d and e < f', '((a > b) or ((c >= d) and (e < f)))'],
    ['(a or b) and c', '((a or b) and c)'],
    ['x <= 1 or x != 2', '((x <= 1) or (x != 2))'],
    ['tag.a =~ "x" and tag.b !~ "y"', '((tag.a =~ string) and (tag.b !~ string))'],
  ];
  for (const [source, expected] of cases) t.equal(grouping(source), expected, source);
});

t.test('parse keywords need word boundaries', async (t) => {
  t.same(tree('android'), selector('android'));
  t.same(tree('order'), selector('order'));
  t.same(tree('notice'), selector('notice'));
  t.same(tree('index'), selector('index'));
  t.same(tree('trueish'), selector('trueish'));
  t.equal(grouping('(a>1)and b'), '((a > 1) and b)');
});

t.test('parse locations on every node', async (t) => {
  const source = 'avg(cpu{core="0"}, 5m) > 80\n  and tag.env == "prod"';
  const ast = parseCondition(source).ast!;
  t.equal(ast.kind, 'binary');
  if (ast.kind !== 'binary') return;
  t.same(ast.loc.start, { offset: 0, line: 1, column: 1 });
  t.same(ast.loc.end, { offset: source.length, line: 2, column: 24 });
  t.same(ast.opLoc.start, { offset: 30, line: 2, column: 3 });

  const right = ast.right;
  if (right.kind !== 'binary') throw new Error('expected a comparison');
  t.equal(source.slice(right.left.loc.start.offset, right.left.loc.end.offset), 'tag.env');
  t.equal(source.slice(right.right.loc.start.offset, right.right.loc.end.offset), '"prod"');

  const comparison = ast.left;
  if (comparison.kind !== 'binary' || comparison.left.kind !== 'call') throw new Error('expected a call');
  const call = comparison.left;
  t.equal(source.slice(call.loc.start.offset, call.loc.end.offset), 'avg(cpu{core="0"}, 5m)');
  t.equal(source.slice(call.nameLoc.start.offset, call.nameLoc.end.offset), 'avg');
  const metric = call.args[0]!;
  if (metric.kind !== 'selector') throw new Error('expected a selector');
  const matcher = metric.matchers[0]!;
  t.equal(source.slice(matcher.loc.start.offset, matcher.loc.end.offset), 'core="0"');
  t.equal(source.slice(matcher.valueLoc.start.offset, matcher.valueLoc.end.offset), '"0"');
  t.equal(source.slice(call.args[1]!.loc.start.offset, call.args[1]!.loc.end.offset), '5m');
});

t.test('parse syntax error messages', async (t) => {
  const cases: Array<[string, string, number]> = [
    ['', 'the condition is empty: write an expression such as cpu_usage > 90', 0],
    ['cpu_usage >', "expected a value after '>' but found the end of the condition", 11],
    ['cpu_usage 90', "expected an operator or the end of the condition after 'cpu_usage' but found '90'", 10],
    ['avg(cpu_usage 5m)', "expected an operator, ',' or ')' after 'cpu_usage' but found '5m'", 14],
    ['avg(cpu, 5m', "expected an operator, ',' or ')' after '5m' but found the end of the condition", 11],
    ['(a > 1', "expected an operator or ')' after '1' but found the end of the condition", 6],
    ['a > 1)', "expected an operator or the end of the condition after '1' but found ')'", 5],
    [')', "expected a value but found ')'", 0],
    ['a and', "expected a value after 'and' but found the end of the condition", 5],
    ['x{', "expected a label name or '}' after '{' but found the end of the condition", 2],
    ['x{a', "expected '=', '!=', '=~' or '!~' after 'a' but found the end of the condition", 3],
    ['x{a=b}', "expected a string after '=' but found 'b'", 4],
    ['x{a="b" c="d"}', `expected ',' or '}' after '"b"' but found 'c'`, 8],
    ['[1, 2', "expected an operator, ',' or ']' after '2' but found the end of the condition", 5],
    ['a @ b', "expected an operator or the end of the condition after 'a' but found '@'", 2],
    ['a < b < c', "comparisons do not chain: join them with 'and', as in a < b and b < c", 6],
    ['a = 5', "'=' is only for label matchers: compare with '=='", 2],
    ['x{a=="b"}', "label matchers use '=', not '=='", 3],
    ['"abc', 'unterminated string: add the closing "', 0],
    ['`abc', 'unterminated raw string: add the closing `', 0],
    ['"a\\d"', "invalid escape sequence '\\d' in a string: write '\\\\' for a backslash, or use a raw string such as `\\d+`", 2],
    ['"\\u12"', "invalid escape sequence '\\u': write four hexadecimal digits after it, such as \\u00e9", 1],
    ['avg(x, 1.5h)', "invalid number or duration '1.5h': a duration is whole numbers with units (ms, s, m, h, d, w), such as 90s or 1h30m", 7],
    ['x > 5min', "invalid number or duration '5min': a duration is whole numbers with units (ms, s, m, h, d, w), such as 90s or 1h30m", 4],
    ['tag.', "expected a tag name after 'tag.', such as tag.env", 0],
  ];
  for (const [source, message, start] of cases) {
    const issue = firstIssue(source);
    t.equal(issue.message, message, source);
    t.equal(issue.start, start, `${source} start`);
  }
});

t.test('parse nesting limits', async (t) => {
  const deepParentheses = `${'('.repeat(100_000)}a${')'.repeat(100_000)}`;
  t.match(firstIssue(deepParentheses).message, /nested too deeply to parse/);

  const deepNots = `${'not '.repeat(50_000)}a`;
  t.match(firstIssue(deepNots).message, /nested/);

  const longSum = `${Array.from({ length: MAX_DEPTH + 5 }, () => 'a').join(' + ')} > 1`;
  t.equal(firstIssue(longSum).message, `the condition is nested more than ${MAX_DEPTH} levels deep: split it into simpler expressions`);

  const wideList = `tag.x in [${Array.from({ length: 5000 }, (_, index) => `"v${index}"`).join(', ')}]`;
  t.equal(parseCondition(wideList).issues.length, 0, 'a long flat list is fine');
});
