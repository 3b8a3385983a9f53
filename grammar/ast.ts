/**
 * Typed syntax tree of a rule condition, as built by the generated parser
 * (grammar/condition.peggy). Every node carries `loc`, the span of its text in
 * the condition; offsets count UTF-16 code units from 0, lines and columns
 * count from 1.
 */

export interface Position {
  offset: number;
  line: number;
  column: number;
}

/** Start (inclusive) and end (exclusive) of a piece of condition text. */
export interface Span {
  start: Position;
  end: Position;
}

export interface NumberLiteral {
  kind: 'number';
  value: number;
  /** The digits as written, for messages. */
  text: string;
  loc: Span;
}

export interface StringLiteral {
  kind: 'string';
  /** The value with escapes decoded. */
  value: string;
  loc: Span;
}

export interface BooleanLiteral {
  kind: 'boolean';
  value: boolean;
  loc: Span;
}

/** A duration such as `5m` or `1h30m`; only valid as a window argument. */
export interface DurationLiteral {
  kind: 'duration';
  ms: number;
  text: string;
  loc: Span;
}

/** A list such as `["db", "cache"]`; only valid on the right of `in`. */
export interface ListLiteral {
  kind: 'list';
  items: Expr[];
  loc: Span;
}

export type MatchOperator = '=' | '!=' | '=~' | '!~';

/** One label matcher of a selector, such as `mount="/"`. */
export interface LabelMatcher {
  label: string;
  op: MatchOperator;
  value: string;
  loc: Span;
  labelLoc: Span;
  valueLoc: Span;
}

/** A metric with optional label matchers: `disk_used_pct{mount="/"}`. */
export interface MetricSelector {
  kind: 'selector';
  metric: string;
  matchers: LabelMatcher[];
  loc: Span;
}

/** An agent tag: `tag.env`. */
export interface TagReference {
  kind: 'tag';
  name: string;
  loc: Span;
}

/** A function call such as `avg(cpu_usage, 5m)`. */
export interface Call {
  kind: 'call';
  name: string;
  nameLoc: Span;
  args: Expr[];
  loc: Span;
}

export type UnaryOperator = '-' | 'not';

export interface Unary {
  kind: 'unary';
  op: UnaryOperator;
  operand: Expr;
  loc: Span;
}

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';
export type OrderOperator = '>' | '>=' | '<' | '<=';
export type EqualityOperator = '==' | '!=';
export type RegexOperator = '=~' | '!~';
export type MembershipOperator = 'in' | 'not in';
export type ComparisonOperator = OrderOperator | EqualityOperator | RegexOperator | MembershipOperator;
export type LogicalOperator = 'and' | 'or';
export type BinaryOperator = ArithmeticOperator | ComparisonOperator | LogicalOperator;

export interface Binary {
  kind: 'binary';
  op: BinaryOperator;
  left: Expr;
  right: Expr;
  /** Span of the operator itself. */
  opLoc: Span;
  loc: Span;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | BooleanLiteral
  | DurationLiteral
  | ListLiteral
  | MetricSelector
  | TagReference
  | Call
  | Unary
  | Binary;

export const ARITHMETIC_OPERATORS: ReadonlySet<string> = new Set<ArithmeticOperator>(['+', '-', '*', '/', '%']);
export const COMPARISON_OPERATORS: ReadonlySet<string> = new Set<ComparisonOperator>([
  '>', '>=', '<', '<=', '==', '!=', '=~', '!~', 'in', 'not in',
]);
export const LOGICAL_OPERATORS: ReadonlySet<string> = new Set<LogicalOperator>(['and', 'or']);

/**
 * Binding strength of each operator, loosest first. The parser implements
 * this table and the formatter reads it to print the fewest parentheses.
 */
export const PRECEDENCE = {
  or: 1,
  and: 2,
  comparison: 3,
  not: 4,
  additive: 5,
  multiplicative: 6,
  negation: 7,
  primary: 8,
} as const;

/** Binding strength of a node's outermost operator, per `PRECEDENCE`. */
export function precedenceOf(node: Expr): number {
  if (node.kind === 'unary') return node.op === 'not' ? PRECEDENCE.not : PRECEDENCE.negation;
  if (node.kind !== 'binary') return PRECEDENCE.primary;
  switch (node.op) {
    case 'or':
      return PRECEDENCE.or;
    case 'and':
      return PRECEDENCE.and;
    case '+':
    case '-':
      return PRECEDENCE.additive;
    case '*':
    case '/':
    case '%':
      return PRECEDENCE.multiplicative;
    default:
      return PRECEDENCE.comparison;
  }
}

/** Direct children of a node, left to right. */
export function childrenOf(node: Expr): Expr[] {
  switch (node.kind) {
    case 'list':
      return node.items;
    case 'call':
      return node.args;
    case 'unary':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    default:
      return [];
  }
}

/** Depth of the tree (a leaf has depth 1), computed without recursion. */
export function depthOf(root: Expr): number {
  let deepest = 0;
  const stack: Array<[Expr, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > deepest) deepest = depth;
    for (const child of childrenOf(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}
