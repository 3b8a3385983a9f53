import type { AlertEvent } from './alert-event.js';

/** The four matcher operators of Prometheus Alertmanager: equal, not equal, regex match, regex non-match. */
export type MatchOperator = '=' | '!=' | '=~' | '!~';

/** One condition on one label of an alert, such as `env="prod"` or `region=~"eu-.*"`. */
export interface Matcher {
  name: string;
  operator: MatchOperator;
  value: string;
}

/** Error raised when a matcher's text or regular expression is invalid. The message names the text. */
export class MatcherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatcherError';
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Matcher syntax: `name`, the operator, then the value, optionally in double quotes. Longer operators come first in the alternation. */
const MATCHER_TEXT = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/**
 * Parses `name=value`, `name!="value"`, `name=~regex` or `name!~"regex"`.
 * A quoted value may contain `\"` and `\\`. Throws MatcherError naming the
 * text when it does not parse, when an unquoted value starts with `=` or `~`
 * (a typo such as `severity==critical`), or when its regular expression is
 * invalid.
 */
export function parseMatcher(text: string): Matcher {
  const match = MATCHER_TEXT.exec(text);
  if (!match) throw new MatcherError(`invalid matcher ${JSON.stringify(text)}; expected name=value, name!=value, name=~regex or name!~regex`);
  const [, name, operator, rawValue] = match as unknown as [string, string, MatchOperator, string];
  // `severity==critical` would otherwise match the value "=critical", which no alert has.
  if (/^[=~]/.test(rawValue)) {
    throw new MatcherError(
      `invalid matcher ${JSON.stringify(text)}: the value ${JSON.stringify(rawValue)} starts with ${rawValue[0]}, a likely typo; write one operator (=, !=, =~ or !~) before the value, or quote the value to match it as written`,
    );
  }
  const matcher: Matcher = { name, operator, value: unquote(rawValue, text) };
  checkMatcher(matcher);
  return matcher;
}

/**
 * Checks a matcher built from an object: a valid label name, a known
 * operator and a compilable regular expression. Throws MatcherError otherwise.
 */
export function checkMatcher(matcher: Matcher): void {
  if (!LABEL_NAME.test(matcher.name)) throw new MatcherError(`invalid label name ${JSON.stringify(matcher.name)} in a matcher; expected letters, digits and underscores, not starting with a digit`);
  if (!['=', '!=', '=~', '!~'].includes(matcher.operator)) throw new MatcherError(`invalid matcher operator ${JSON.stringify(matcher.operator)}; expected =, !=, =~ or !~`);
  if (matcher.operator === '=~' || matcher.operator === '!~') compileAnchored(matcher.value);
}

/** Renders a matcher as text that parseMatcher reads back: `env="prod"`. */
export function formatMatcher(matcher: Matcher): string {
  return `${matcher.name}${matcher.operator}${JSON.stringify(matcher.value)}`;
}

function unquote(value: string, text: string): string {
  if (!value.startsWith('"')) return value;
  if (value.length < 2 || !value.endsWith('"')) throw new MatcherError(`invalid matcher ${JSON.stringify(text)}: the quoted value has no closing quote`);
  try {
    return JSON.parse(value) as string;
  } catch {
    throw new MatcherError(`invalid matcher ${JSON.stringify(text)}: the quoted value is not a valid string (use \\" and \\\\ for quotes and backslashes)`);
  }
}

const compiled = new Map<string, RegExp>();

/** Compiles a fully anchored regular expression, as Alertmanager does, with a cache because matchers run per alert. */
function compileAnchored(source: string): RegExp {
  let regex = compiled.get(source);
  if (regex) return regex;
  try {
    regex = new RegExp(`^(?:${source})$`, 'u');
  } catch (error) {
    throw new MatcherError(
      `invalid regular expression ${JSON.stringify(source)} in a matcher: ${(error as Error).message}; write a JavaScript regular expression (matched against the whole value), or use = to match the text exactly`,
    );
  }
  if (compiled.size > 10_000) compiled.clear();
  compiled.set(source, regex);
  return regex;
}

/**
 * Tests one matcher against a label set. A missing label counts as the
 * empty string, as in Alertmanager, so `team!="db"` matches an alert
 * without a `team` label and `team=""` matches only such alerts.
 */
export function matches(matcher: Matcher, labels: Readonly<Record<string, string>>): boolean {
  const value = labels[matcher.name] ?? '';
  switch (matcher.operator) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return compileAnchored(matcher.value).test(value);
    case '!~':
      return !compileAnchored(matcher.value).test(value);
  }
}

/** Returns whether every matcher matches the labels, which is true for an empty list. */
export function matchesAll(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((matcher) => matches(matcher, labels));
}

/**
 * Returns the labels that matchers, `group_by` and `equal` read for an alert:
 * the agent's tags, overridden by the alert's labels, plus `alertname` (the
 * rule), `agent` and `severity`. A tag and a label of the same name
 * resolve to the label.
 */
export function alertLabelSet(event: Pick<AlertEvent, 'tags' | 'labels' | 'rule' | 'agentId' | 'severity'>): Record<string, string> {
  return { ...event.tags, ...event.labels, alertname: event.rule, agent: event.agentId, severity: event.severity };
}
