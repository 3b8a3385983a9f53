import { ARITHMETIC_OPERATORS, COMPARISON_OPERATORS, type Binary, type Call, type Expr, type MatchOperator, type MetricSelector } from './ast.js';
import { anchoredRegExp, checkCondition, typeOf, type CheckOptions } from './check.js';
import type { Issue } from './diagnostics.js';
import { formatSelector } from './format-condition.js';
import { isWindowFunction, type WindowFunction } from './functions.js';
import { parseCondition } from './parse.js';

/** Labels of one series, as the engine stores them. */
export type Labels = Readonly<Record<string, string>>;

/** One metric selector a condition reads; its index in `selectors` is its slot. */
export interface Selector {
  metric: string;
  matchers: ReadonlyArray<{ label: string; op: MatchOperator; value: string }>;
  /** Canonical text, such as `disk_used_pct{mount="/"}`; equal selectors share a slot. */
  key: string;
  /** True when the condition reads the latest sample (`ctx.latest`), not only windows. */
  readsLatest: boolean;
  /**
   * Tests a series' labels against the matchers; the metric name is not
   * tested (the engine indexes series by metric). A missing label reads as
   * the empty string, as in Prometheus, and regexes are fully anchored.
   */
  matches(labels: Labels): boolean;
}

/** One window computation a condition reads; its index in `windows` is its slot. */
export interface WindowSpec {
  /** Selector slot, or null for `absent(window)`, which watches every metric of the agent. */
  selector: number | null;
  fn: WindowFunction;
  rangeMs: number;
  /** The quantile's φ; set for `quantile` only. */
  param?: number;
  /** Minimum number of samples in the window before `zscore` or `robust_zscore` returns a score. Set only when the condition gives one. */
  minSamples?: number;
}

/**
 * What a compiled condition reads from the engine, by slot. Implementations
 * must return without allocating; the engine sets them up per evaluation unit
 * (an agent, and a series of the anchor selector when there is one).
 */
export interface EvalContext {
  /** Latest sample value of the selector's series, NaN when there is none. */
  latest(selector: number): number;
  /** The window's aggregate, NaN when the window contains no sample; for `absent`, 1 (absent) or 0. */
  window(slot: number): number;
  /** Value of the agent's tag, undefined when the agent has no such tag. */
  tag(slot: number): string | undefined;
}

export interface CompiledCondition {
  /** Distinct metric selectors read, in order of first appearance; index = slot. */
  selectors: Selector[];
  /**
   * Slot of the anchor selector: the first selector in reading order that is
   * read other than through absent(). The engine evaluates the condition once
   * per series of the anchor (per agent), and joins the other selectors to
   * that series (see docs/rules.md). Null when the condition reads no metric
   * outside absent(): then it is evaluated once per agent.
   */
  anchor: number | null;
  /** Distinct window computations, in order of first appearance; index = slot. */
  windows: WindowSpec[];
  /** Tag names read, in order of first appearance; index = slot. */
  tags: string[];
  /** Longest window range in milliseconds, 0 when there is no window: how far back the engine replays. */
  longestWindowMs: number;
  /** Evaluates the condition. Missing data (NaN) makes a comparison false, like PromQL's empty result. */
  evaluate(ctx: EvalContext): boolean;
  /**
   * The value shown as `{{value}}`: the left operand of the outermost numeric
   * comparison (shallowest, then leftmost), else 1 when the condition holds
   * and 0 when it does not.
   */
  value(ctx: EvalContext): number;
}

type NumberFn = (ctx: EvalContext) => number;
type BooleanFn = (ctx: EvalContext) => boolean;
type StringFn = (ctx: EvalContext) => string;

/** A compiled subexpression; `constant` is set when it reads no input, so parents can fold it. */
type Code<F, V> = { fn: F; constant?: V };
type NumberCode = Code<NumberFn, number>;
type BooleanCode = Code<BooleanFn, boolean>;
type StringCode = Code<StringFn, string>;

function constant<V>(value: V): Code<() => V, V> {
  return { fn: () => value, constant: value };
}

/**
 * Compiles a condition tree that passed `checkCondition` into closures over
 * an `EvalContext`. No source text is evaluated as code. Throws Error for a
 * tree the checker would reject.
 */
export function compileCondition(ast: Expr): CompiledCondition {
  const compiler = new Compiler();
  const root = compiler.boolean(ast);
  const valueNode = outermostNumericComparison(ast);
  const evaluate = root.fn;
  let value: NumberFn = (ctx) => (evaluate(ctx) ? 1 : 0);
  if (valueNode !== undefined) value = compiler.number(valueNode.left).fn;

  return {
    selectors: compiler.selectors,
    anchor: compiler.anchoring.size === 0 ? null : Math.min(...compiler.anchoring),
    windows: compiler.windows,
    tags: compiler.tags,
    longestWindowMs: compiler.windows.reduce((longest, window) => Math.max(longest, window.rangeMs), 0),
    evaluate,
    value,
  };
}

export interface BuiltCondition {
  /** Present when `issues` is empty. */
  condition?: CompiledCondition;
  ast?: Expr;
  issues: Issue[];
}

/** Parses, checks and compiles condition text; returns every issue found instead when it is invalid. */
export function buildCondition(source: string, options: CheckOptions = {}): BuiltCondition {
  const parsed = parseCondition(source);
  if (parsed.ast === undefined) return { issues: parsed.issues };
  const issues = checkCondition(parsed.ast, source, options);
  if (issues.length > 0) return { ast: parsed.ast, issues };
  return { ast: parsed.ast, condition: compileCondition(parsed.ast), issues: [] };
}

/** Finds the shallowest, then leftmost, comparison of numbers, searching breadth-first. */
function outermostNumericComparison(root: Expr): Binary | undefined {
  const queue: Expr[] = [root];
  for (let index = 0; index < queue.length; index++) {
    const node = queue[index]!;
    if (node.kind === 'binary') {
      if (COMPARISON_OPERATORS.has(node.op) && typeOf(node.left) === 'number') return node;
      queue.push(node.left, node.right);
    } else if (node.kind === 'unary') {
      queue.push(node.operand);
    }
  }
  return undefined;
}

function compileLabelPredicate(matchers: Selector['matchers']): (labels: Labels) => boolean {
  const tests = matchers.map(({ label, op, value }): ((labels: Labels) => boolean) => {
    switch (op) {
      case '=':
        return (labels) => (labels[label] ?? '') === value;
      case '!=':
        return (labels) => (labels[label] ?? '') !== value;
      case '=~': {
        const pattern = anchoredRegExp(value);
        return (labels) => pattern.test(labels[label] ?? '');
      }
      case '!~': {
        const pattern = anchoredRegExp(value);
        return (labels) => !pattern.test(labels[label] ?? '');
      }
    }
  });
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  return (labels) => {
    for (const test of tests) if (!test(labels)) return false;
    return true;
  };
}

class Compiler {
  readonly selectors: Selector[] = [];
  readonly windows: WindowSpec[] = [];
  readonly tags: string[] = [];
  /** Selector slots read other than through absent(). */
  readonly anchoring = new Set<number>();
  private readonly selectorSlots = new Map<string, number>();
  private readonly windowSlots = new Map<string, number>();
  private readonly tagSlots = new Map<string, number>();
  /** Compiled number nodes, so `value` reuses the closure built for `evaluate`. */
  private readonly numbers = new Map<Expr, NumberCode>();

  selectorSlot(node: MetricSelector, readsLatest: boolean): number {
    const matchers = node.matchers.map(({ label, op, value }) => ({ label, op, value }));
    // Matchers in any order select the same series, so the key sorts them.
    const sorted = [...matchers].sort((a, b) => compareText(a.label, b.label) || compareText(a.op + a.value, b.op + b.value));
    const key = formatSelector(node.metric, sorted);
    let slot = this.selectorSlots.get(key);
    if (slot === undefined) {
      slot = this.selectors.length;
      this.selectorSlots.set(key, slot);
      this.selectors.push({ metric: node.metric, matchers, key, readsLatest, matches: compileLabelPredicate(matchers) });
    } else if (readsLatest) {
      this.selectors[slot]!.readsLatest = true;
    }
    return slot;
  }

  windowSlot(spec: WindowSpec): number {
    const key = `${spec.selector ?? '*'}|${spec.fn}|${spec.rangeMs}|${spec.param ?? ''}|${spec.minSamples ?? ''}`;
    let slot = this.windowSlots.get(key);
    if (slot === undefined) {
      slot = this.windows.length;
      this.windowSlots.set(key, slot);
      this.windows.push(spec);
    }
    return slot;
  }

  tagSlot(name: string): number {
    let slot = this.tagSlots.get(name);
    if (slot === undefined) {
      slot = this.tags.length;
      this.tagSlots.set(name, slot);
      this.tags.push(name);
    }
    return slot;
  }

  number(node: Expr): NumberCode {
    let code = this.numbers.get(node);
    if (code === undefined) {
      code = this.compileNumber(node);
      this.numbers.set(node, code);
    }
    return code;
  }

  private compileNumber(node: Expr): NumberCode {
    switch (node.kind) {
      case 'number':
        return constant(node.value);
      case 'selector': {
        const slot = this.selectorSlot(node, true);
        this.anchoring.add(slot);
        return { fn: (ctx) => ctx.latest(slot) };
      }
      case 'call': {
        const slot = this.windowCall(node);
        return { fn: (ctx) => ctx.window(slot) };
      }
      case 'unary': {
        if (node.op !== '-') break;
        const operand = this.number(node.operand);
        if (operand.constant !== undefined) return constant(-operand.constant);
        const fn = operand.fn;
        return { fn: (ctx) => -fn(ctx) };
      }
      case 'binary':
        if (ARITHMETIC_OPERATORS.has(node.op)) return this.arithmetic(node);
        break;
    }
    throw new Error(`compileCondition: expected a number expression, got ${node.kind}`);
  }

  private arithmetic(node: Binary): NumberCode {
    const left = this.number(node.left);
    const right = this.number(node.right);
    const operate = ARITHMETIC[node.op];
    if (operate === undefined) throw new Error(`compileCondition: unknown arithmetic operator '${node.op}'`);
    if (left.constant !== undefined && right.constant !== undefined) return constant(operate(left.constant, right.constant));

    const l = left.fn;
    const r = right.fn;
    switch (node.op) {
      case '+':
        return { fn: (ctx) => l(ctx) + r(ctx) };
      case '-':
        return { fn: (ctx) => l(ctx) - r(ctx) };
      case '*':
        return { fn: (ctx) => l(ctx) * r(ctx) };
      case '/':
        return { fn: (ctx) => l(ctx) / r(ctx) };
      default:
        return { fn: (ctx) => l(ctx) % r(ctx) };
    }
  }

  /** Returns the window slot a window-function call reads. */
  private windowCall(node: Call): number {
    if (!isWindowFunction(node.name)) throw new Error(`compileCondition: unknown function '${node.name}'`);
    const args = node.args;
    const window = args.find((argument) => argument.kind === 'duration');
    if (window?.kind !== 'duration') throw new Error(`compileCondition: ${node.name} needs a duration argument`);

    let selector: number | null = null;
    let param: number | undefined;
    let minSamples: number | undefined;
    if (node.name === 'quantile') {
      const phi = args[0]!;
      param = phi.kind === 'number' ? phi.value : Number.NaN;
      selector = this.selectorSlot(args[1] as MetricSelector, false);
    } else if (args[0]?.kind === 'selector') {
      selector = this.selectorSlot(args[0], false);
      const count = args[2];
      if (count?.kind === 'number') minSamples = count.value;
    }

    if (selector !== null && node.name !== 'absent') this.anchoring.add(selector);
    const spec: WindowSpec = { selector, fn: node.name, rangeMs: window.ms };
    if (param !== undefined) spec.param = param;
    if (minSamples !== undefined) spec.minSamples = minSamples;
    return this.windowSlot(spec);
  }

  string(node: Expr): StringCode {
    switch (node.kind) {
      case 'string':
        return constant(node.value);
      case 'tag': {
        const slot = this.tagSlot(node.name);
        // A missing tag reads as the empty string, like a missing Prometheus label.
        return { fn: (ctx) => ctx.tag(slot) ?? '' };
      }
      default:
        throw new Error(`compileCondition: expected a string expression, got ${node.kind}`);
    }
  }

  boolean(node: Expr): BooleanCode {
    switch (node.kind) {
      case 'boolean':
        return constant(node.value);
      case 'call': {
        const slot = this.windowCall(node);
        return { fn: (ctx) => ctx.window(slot) === 1 };
      }
      case 'unary': {
        if (node.op !== 'not') break;
        const operand = this.boolean(node.operand);
        if (operand.constant !== undefined) return constant(!operand.constant);
        const fn = operand.fn;
        return { fn: (ctx) => !fn(ctx) };
      }
      case 'binary':
        return this.binaryBoolean(node);
    }
    throw new Error(`compileCondition: expected a boolean expression, got ${node.kind}`);
  }

  private binaryBoolean(node: Binary): BooleanCode {
    switch (node.op) {
      case 'and':
      case 'or':
        return this.logical(node);
      case 'in':
      case 'not in':
        return this.membership(node);
      case '=~':
      case '!~':
        return this.regexMatch(node);
      default:
        break;
    }
    const type = typeOf(node.left);
    if (type === 'number') return this.compareNumbers(node);
    if (type === 'string') return this.compareValues(node, this.string(node.left), this.string(node.right));
    if (type === 'boolean') return this.compareValues(node, this.boolean(node.left), this.boolean(node.right));
    throw new Error(`compileCondition: cannot compare values of type ${type}`);
  }

  private logical(node: Binary): BooleanCode {
    const left = this.boolean(node.left);
    const right = this.boolean(node.right);
    const l = left.fn;
    const r = right.fn;
    if (node.op === 'and') {
      if (left.constant === false || right.constant === false) return constant(false);
      if (left.constant === true) return right;
      if (right.constant === true) return left;
      return { fn: (ctx) => l(ctx) && r(ctx) };
    }
    if (left.constant === true || right.constant === true) return constant(true);
    if (left.constant === false) return right;
    if (right.constant === false) return left;
    return { fn: (ctx) => l(ctx) || r(ctx) };
  }

  /**
   * Numeric comparisons. NaN (missing data) makes every comparison false,
   * `!=` included, as an empty PromQL result would.
   */
  private compareNumbers(node: Binary): BooleanCode {
    const left = this.number(node.left);
    const right = this.number(node.right);
    const compare = NUMBER_COMPARISONS[node.op];
    if (compare === undefined) throw new Error(`compileCondition: unknown comparison '${node.op}'`);
    if (left.constant !== undefined && right.constant !== undefined) return constant(compare(left.constant, right.constant));

    const l = left.fn;
    // A constant threshold is the common case (`cpu_usage > 90`); reading it
    // from the closure saves a call per evaluation.
    if (right.constant !== undefined) {
      const k = right.constant;
      switch (node.op) {
        case '>':
          return { fn: (ctx) => l(ctx) > k };
        case '>=':
          return { fn: (ctx) => l(ctx) >= k };
        case '<':
          return { fn: (ctx) => l(ctx) < k };
        case '<=':
          return { fn: (ctx) => l(ctx) <= k };
        case '==':
          return { fn: (ctx) => l(ctx) === k };
        default: {
          if (Number.isNaN(k)) return constant(false);
          return { fn: (ctx) => { const a = l(ctx); return a === a && a !== k; } };
        }
      }
    }

    const r = right.fn;
    switch (node.op) {
      case '>':
        return { fn: (ctx) => l(ctx) > r(ctx) };
      case '>=':
        return { fn: (ctx) => l(ctx) >= r(ctx) };
      case '<':
        return { fn: (ctx) => l(ctx) < r(ctx) };
      case '<=':
        return { fn: (ctx) => l(ctx) <= r(ctx) };
      case '==':
        return { fn: (ctx) => l(ctx) === r(ctx) };
      default:
        return { fn: (ctx) => compare(l(ctx), r(ctx)) };
    }
  }

  /** `==` and `!=` on strings or booleans, which are never missing. */
  private compareValues<V>(node: Binary, left: Code<(ctx: EvalContext) => V, V>, right: Code<(ctx: EvalContext) => V, V>): BooleanCode {
    const equal = node.op === '==';
    if (node.op !== '==' && node.op !== '!=') throw new Error(`compileCondition: '${node.op}' does not apply to strings or booleans`);
    if (left.constant !== undefined && right.constant !== undefined) return constant((left.constant === right.constant) === equal);
    const l = left.fn;
    if (right.constant !== undefined) {
      const k = right.constant;
      return equal ? { fn: (ctx) => l(ctx) === k } : { fn: (ctx) => l(ctx) !== k };
    }
    const r = right.fn;
    return equal ? { fn: (ctx) => l(ctx) === r(ctx) } : { fn: (ctx) => l(ctx) !== r(ctx) };
  }

  private regexMatch(node: Binary): BooleanCode {
    if (node.right.kind !== 'string') throw new Error(`compileCondition: '${node.op}' needs a string literal on its right`);
    const pattern = anchoredRegExp(node.right.value);
    const left = this.string(node.left);
    const matches = node.op === '=~';
    if (left.constant !== undefined) return constant(pattern.test(left.constant) === matches);
    const l = left.fn;
    return matches ? { fn: (ctx) => pattern.test(l(ctx)) } : { fn: (ctx) => !pattern.test(l(ctx)) };
  }

  /** `in` and `not in`; a missing number (NaN) is in no list and makes `not in` false too. */
  private membership(node: Binary): BooleanCode {
    if (node.right.kind !== 'list') throw new Error(`compileCondition: '${node.op}' needs a list on its right`);
    const negated = node.op === 'not in';
    const type = typeOf(node.left);

    if (type === 'string') {
      const items = node.right.items.map((item) => this.string(item));
      const left = this.string(node.left);
      return this.memberOf(left, items, negated, () => true);
    }
    if (type === 'number') {
      const items = node.right.items.map((item) => this.number(item));
      const left = this.number(node.left);
      return this.memberOf(left, items, negated, (value) => value === value);
    }
    throw new Error(`compileCondition: '${node.op}' does not apply to ${type}`);
  }

  private memberOf<V>(left: Code<(ctx: EvalContext) => V, V>, items: Code<(ctx: EvalContext) => V, V>[], negated: boolean, present: (value: V) => boolean): BooleanCode {
    const l = left.fn;
    if (items.every((item) => item.constant !== undefined)) {
      const set = new Set(items.map((item) => item.constant as V));
      if (left.constant !== undefined) {
        const value = left.constant;
        return constant(present(value) && set.has(value) !== negated);
      }
      return { fn: (ctx) => { const value = l(ctx); return present(value) && set.has(value) !== negated; } };
    }
    const fns = items.map((item) => item.fn);
    return {
      fn: (ctx) => {
        const value = l(ctx);
        if (!present(value)) return false;
        let found = false;
        for (const fn of fns) {
          if (fn(ctx) === value) {
            found = true;
            break;
          }
        }
        return found !== negated;
      },
    };
  }
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
};

const NUMBER_COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a === a && b === b && a !== b,
};
