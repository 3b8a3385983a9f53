import { formatDuration } from '../pipeline/config/duration.js';
import { ARITHMETIC_OPERATORS, COMPARISON_OPERATORS, type Binary, type Call, type Expr, type LabelMatcher, type Span, type Unary } from './ast.js';
import type { Issue } from './diagnostics.js';
import { FUNCTION_NAMES, FUNCTIONS, isWindowFunction, nearestName, type Parameter } from './functions.js';

/** Types of the condition language. */
export type ValueType = 'number' | 'string' | 'boolean' | 'duration' | 'list';

/**
 * Longest window accepted when the caller sets no maximum: one day. The rule
 * engine replays (now - longest window) of input on every partition
 * assignment, so the maximum bounds that replay.
 */
export const DEFAULT_MAX_WINDOW_MS = 86_400_000;

export interface CheckOptions {
  /** Longest window a function may take, in milliseconds; `DEFAULT_MAX_WINDOW_MS` when unset. */
  maxWindowMs?: number;
}

const ORDER_OPERATORS = new Set(['>', '>=', '<', '<=']);
const EQUALITY_OPERATORS = new Set(['==', '!=']);
const REGEX_OPERATORS = new Set(['=~', '!~']);
const MEMBERSHIP_OPERATORS = new Set(['in', 'not in']);
const ORDINALS = ['first', 'second', 'third'];
const MAX_QUOTED_LENGTH = 40;

/**
 * Compiles a label or string regular expression the way every part of the
 * language uses it: fully anchored, like Prometheus, in JavaScript syntax.
 * Throws SyntaxError for an invalid pattern.
 */
export function anchoredRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/**
 * Checks a parsed condition and returns every problem found, in source order.
 * `source` is the text the tree was parsed from; messages quote it.
 */
export function checkCondition(ast: Expr, source: string, options: CheckOptions = {}): Issue[] {
  const checker = new Checker(source, options.maxWindowMs ?? DEFAULT_MAX_WINDOW_MS);
  const type = checker.visit(ast, undefined);
  if (type !== undefined && type !== 'boolean') {
    const text = checker.quote(ast);
    // A literal makes a silly example (`90 > 90`), so those get a generic one.
    const subject = ast.kind === 'number' || ast.kind === 'string' ? undefined : checker.text(ast);
    const example = type === 'number' ? `${subject ?? 'cpu_usage'} > 90` : type === 'string' ? `${subject ?? 'tag.env'} == "prod"` : undefined;
    const hint = example === undefined ? '' : `: compare it, as in ${example}`;
    checker.report(ast.loc, `the condition must be true or false, but ${text} is ${article(type)}${hint}`);
  }
  return checker.issues.sort((a, b) => a.start - b.start);
}

/**
 * Type of a node of a tree that passed `checkCondition`. Used by the
 * compiler; for an unchecked tree the result may be wrong.
 */
export function typeOf(node: Expr): ValueType {
  switch (node.kind) {
    case 'number':
    case 'selector':
      return 'number';
    case 'string':
    case 'tag':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'duration':
      return 'duration';
    case 'list':
      return 'list';
    case 'call':
      return isWindowFunction(node.name) ? FUNCTIONS[node.name].returns : 'number';
    case 'unary':
      return node.op === 'not' ? 'boolean' : 'number';
    case 'binary':
      return ARITHMETIC_OPERATORS.has(node.op) ? 'number' : 'boolean';
  }
}

function article(type: ValueType): string {
  switch (type) {
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'duration':
      return 'a duration';
    case 'list':
      return 'a list';
  }
}

/**
 * Walks the tree once. `visit` returns the node's type, or undefined when the
 * node already has an issue, so that one mistake is reported once and not
 * again by every enclosing operator.
 */
class Checker {
  readonly issues: Issue[] = [];

  constructor(
    private readonly source: string,
    private readonly maxWindowMs: number,
  ) {}

  report(span: Span, message: string): void {
    this.issues.push({ message, start: span.start.offset, end: span.end.offset });
  }

  /** Cuts a node's text out of the source for a message, whitespace collapsed and shortened. */
  text(node: Expr | Span): string {
    const span = 'loc' in node ? node.loc : node;
    const raw = this.source.slice(span.start.offset, span.end.offset).replace(/\s+/g, ' ');
    return raw.length > MAX_QUOTED_LENGTH ? `${raw.slice(0, MAX_QUOTED_LENGTH)}…` : raw;
  }

  quote(node: Expr): string {
    return `'${this.text(node)}'`;
  }

  visit(node: Expr, parent: Expr | undefined): ValueType | undefined {
    switch (node.kind) {
      case 'number':
        if (!Number.isFinite(node.value)) {
          this.report(node.loc, `number '${node.text}' is out of range`);
        }
        return 'number';
      case 'string':
        return 'string';
      case 'boolean':
        return 'boolean';
      case 'tag':
        return 'string';
      case 'duration':
        this.report(node.loc, `a duration such as ${node.text} can only be the window argument of a function, as in avg(cpu_usage, ${node.text})`);
        return undefined;
      case 'list':
        this.report(node.loc, `a list can only be the right operand of 'in' or 'not in', as in tag.role in ["db", "cache"]`);
        return undefined;
      case 'selector':
        this.checkMatchers(node.matchers);
        return 'number';
      case 'call':
        return this.visitCall(node);
      case 'unary':
        return this.visitUnary(node, parent);
      case 'binary':
        return this.visitBinary(node);
    }
  }

  private visitUnary(node: Unary, parent: Expr | undefined): ValueType | undefined {
    const type = this.visit(node.operand, node);
    if (node.op === '-') {
      if (type !== undefined && type !== 'number') {
        this.report(node.operand.loc, `unary minus needs a number, but ${this.quote(node.operand)} is ${article(type)}`);
      }
      return 'number';
    }

    if (type !== undefined && type !== 'boolean') {
      let hint = '';
      if (parent?.kind === 'binary' && parent.left === node && COMPARISON_OPERATORS.has(parent.op)) {
        const negated = `${this.text(node.operand)} ${parent.op} ${this.text(parent.right)}`;
        hint = `: 'not' binds tighter than comparisons, so write not (${negated})`;
      }
      this.report(node.operand.loc, `'not' needs a boolean, but ${this.quote(node.operand)} is ${article(type)}${hint}`);
      // Unknown, so that the enclosing comparison does not report it again.
      return undefined;
    }
    return 'boolean';
  }

  private visitBinary(node: Binary): ValueType | undefined {
    if (MEMBERSHIP_OPERATORS.has(node.op)) return this.visitMembership(node);

    const left = this.visit(node.left, node);
    if (REGEX_OPERATORS.has(node.op)) return this.visitRegexMatch(node, left);
    const right = this.visit(node.right, node);

    if (ARITHMETIC_OPERATORS.has(node.op)) {
      this.expectOperand(node, 'left', left, 'number', `'${node.op}' needs numbers`);
      this.expectOperand(node, 'right', right, 'number', `'${node.op}' needs numbers`);
      return 'number';
    }
    if (node.op === 'and' || node.op === 'or') {
      this.expectOperand(node, 'left', left, 'boolean', `'${node.op}' needs boolean operands`);
      this.expectOperand(node, 'right', right, 'boolean', `'${node.op}' needs boolean operands`);
      return 'boolean';
    }
    if (ORDER_OPERATORS.has(node.op)) {
      for (const side of ['left', 'right'] as const) {
        const type = side === 'left' ? left : right;
        const operand = node[side];
        if (type === undefined || type === 'number') continue;
        const note = operand.kind === 'tag' ? ' (tag values are strings)' : '';
        this.report(operand.loc, `'${node.op}' compares numbers, but its ${side} operand ${this.quote(operand)} is ${article(type)}${note}`);
      }
      return 'boolean';
    }
    if (EQUALITY_OPERATORS.has(node.op)) {
      if (left !== undefined && right !== undefined && left !== right) this.reportMismatch(node, left, right);
      return 'boolean';
    }
    throw new Error(`checkCondition: unknown operator '${node.op}'`);
  }

  private expectOperand(node: Binary, side: 'left' | 'right', type: ValueType | undefined, expected: ValueType, requirement: string): void {
    if (type === undefined || type === expected) return;
    const operand = node[side];
    this.report(operand.loc, `${requirement}, but its ${side} operand ${this.quote(operand)} is ${article(type)}`);
  }

  private reportMismatch(node: Binary, left: ValueType, right: ValueType): void {
    let tag: Expr | undefined;
    let other: Expr | undefined;
    if (node.left.kind === 'tag' && right === 'number') {
      tag = node.left;
      other = node.right;
    } else if (node.right.kind === 'tag' && left === 'number') {
      tag = node.right;
      other = node.left;
    }
    if (tag !== undefined && other !== undefined) {
      this.report(node.loc, `tag values are strings: compare ${this.quote(tag)} with a string, such as "${this.text(other)}"`);
      return;
    }
    this.report(
      node.loc,
      `cannot compare ${article(left)} with ${article(right)}: ${this.quote(node.left)} is ${article(left)} and ${this.quote(node.right)} is ${article(right)}`,
    );
  }

  private visitRegexMatch(node: Binary, left: ValueType | undefined): ValueType {
    if (left !== undefined && left !== 'string') {
      this.report(node.left.loc, `'${node.op}' matches strings, but its left operand ${this.quote(node.left)} is ${article(left)}`);
    }
    if (node.right.kind !== 'string') {
      this.visit(node.right, node);
      this.report(node.right.loc, `the right operand of '${node.op}' must be a string holding a regular expression, such as "prod-.*"`);
      return 'boolean';
    }
    this.checkRegExp(node.right.value, node.right.loc, `after '${node.op}'`);
    return 'boolean';
  }

  private visitMembership(node: Binary): ValueType {
    const left = this.visit(node.left, node);
    if (left !== undefined && left !== 'string' && left !== 'number') {
      this.report(node.left.loc, `'${node.op}' tests a number or a string, but ${this.quote(node.left)} is ${article(left)}`);
    }
    if (node.right.kind !== 'list') {
      const right = this.visit(node.right, node);
      const found = right === undefined ? '' : `, but ${this.quote(node.right)} is ${article(right)}`;
      this.report(node.right.loc, `'${node.op}' needs a list on its right, such as ["db", "cache"]${found}`);
      return 'boolean';
    }
    for (const item of node.right.items) {
      const type = this.visit(item, node.right);
      if (type === undefined || left === undefined || type === left || (left !== 'string' && left !== 'number')) continue;
      this.report(item.loc, `the items of the list must have the type of ${this.quote(node.left)}, which is ${article(left)}, but ${this.quote(item)} is ${article(type)}`);
    }
    return 'boolean';
  }

  private visitCall(node: Call): ValueType | undefined {
    if (!isWindowFunction(node.name)) {
      const suggestion = nearestName(node.name, FUNCTION_NAMES);
      const hint = suggestion === undefined ? `: the functions are ${FUNCTION_NAMES.join(', ')}` : `: did you mean '${suggestion}'?`;
      this.report(node.nameLoc, `unknown function '${node.name}'${hint}`);
      return undefined;
    }

    const info = FUNCTIONS[node.name];
    const signature = info.signatures.find((parameters) => parameters.length === node.args.length);
    if (signature === undefined) {
      const forms = info.signatures.map((parameters) => `${parameters.length} argument${parameters.length === 1 ? '' : 's'} (${parameters.map(describeParameter).join(', ')})`);
      this.report(node.loc, `${node.name} takes ${forms.join(' or ')} but was given ${node.args.length}`);
      return info.returns;
    }

    signature.forEach((parameter, index) => {
      const argument = node.args[index]!;
      const after = index === 0 ? '(' : ',';
      if (parameter === 'metric') this.checkMetricArgument(node, argument, index);
      else if (parameter === 'window') this.checkWindowArgument(argument, after);
      else if (parameter === 'count') this.checkCountArgument(node, argument, index);
      else this.checkPhiArgument(node, argument, index);
    });
    return info.returns;
  }

  private checkMetricArgument(call: Call, argument: Expr, index: number): void {
    if (argument.kind === 'selector') {
      this.checkMatchers(argument.matchers);
      return;
    }
    this.report(
      argument.loc,
      `the ${ORDINALS[index]} argument of ${call.name} must be a metric selector, such as cpu_usage or disk_used_pct{mount="/"}, but found ${this.quote(argument)}`,
    );
  }

  private checkWindowArgument(argument: Expr, after: string): void {
    if (argument.kind === 'unary' && argument.op === '-' && argument.operand.kind === 'duration') {
      this.report(argument.loc, `the window must be longer than zero, but got ${this.text(argument)}`);
      return;
    }
    if (argument.kind !== 'duration') {
      this.report(argument.loc, `expected a duration such as 5m after '${after}' but found ${this.quote(argument)}`);
      return;
    }
    if (argument.ms <= 0) {
      this.report(argument.loc, `the window must be longer than zero, but got ${argument.text}`);
    } else if (!Number.isSafeInteger(argument.ms) || argument.ms > this.maxWindowMs) {
      this.report(argument.loc, `the window ${argument.text} is longer than the maximum of ${formatDuration(this.maxWindowMs)}`);
    }
  }

  private checkPhiArgument(call: Call, argument: Expr, index: number): void {
    let value: number | undefined;
    if (argument.kind === 'number') value = argument.value;
    else if (argument.kind === 'unary' && argument.op === '-' && argument.operand.kind === 'number') value = -argument.operand.value;

    if (value === undefined) {
      this.report(
        argument.loc,
        `the ${ORDINALS[index]} argument of ${call.name} must be a number between 0 and 1, such as 0.95, but found ${this.quote(argument)}`,
      );
    } else if (!(value >= 0 && value <= 1)) {
      const hint = value > 1 ? ': write percentiles as fractions, such as 0.95 for the 95th percentile' : '';
      this.report(argument.loc, `the quantile φ must be between 0 and 1, but got ${this.text(argument)}${hint}`);
    }
  }

  private checkCountArgument(call: Call, argument: Expr, index: number): void {
    if (argument.kind !== 'number' || !Number.isInteger(argument.value)) {
      this.report(argument.loc, `the ${ORDINALS[index]} argument of ${call.name} must be a whole number of samples, such as 30, but found ${this.quote(argument)}`);
    } else if (argument.value < 2) {
      this.report(argument.loc, `${call.name} needs at least 2 samples to score, but the minimum is ${argument.value}`);
    }
  }

  private checkMatchers(matchers: readonly LabelMatcher[]): void {
    for (const matcher of matchers) {
      if (matcher.op === '=~' || matcher.op === '!~') {
        this.checkRegExp(matcher.value, matcher.valueLoc, `for label '${matcher.label}'`);
      }
    }
  }

  private checkRegExp(pattern: string, span: Span, where: string): void {
    try {
      anchoredRegExp(pattern);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      // V8 writes "Invalid regular expression: /<pattern>/: <reason>"; the
      // reason is what the author needs.
      const reason = error.message.slice(error.message.lastIndexOf(': ') + 2);
      this.report(span, `invalid regular expression ${JSON.stringify(pattern)} ${where}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`);
    }
  }
}

function describeParameter(parameter: Parameter): string {
  if (parameter === 'phi') return 'φ';
  if (parameter === 'count') return 'minimum samples';
  return parameter;
}
