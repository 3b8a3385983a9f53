import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { coerce, type Leaf, leafPaths, referencedVariables, type UnknownVariable, unknownVariables, variableName } from './environment.js';
import { nearestName } from './nearest-name.js';
import { defOf, objectKeys, schemaAt, unwrap } from './schema-walk.js';
import { describeExpected } from './value-hints.js';

/** One invalid configuration value: where it came from and what is expected. */
export interface ConfigIssue {
  /** Dotted key path, such as `gateway.port`, or empty for an environment variable that names no key. */
  key: string;
  /** `file:line:column` or the name of the environment variable. */
  source: string;
  message: string;
}

/** Error raised when the configuration is invalid. Its message lists every issue. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((issue) => `  ${issue.source}: ${issue.key === '' ? '' : `${issue.key}: `}${issue.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions<S extends z.ZodType> {
  schema: S;
  /** YAML file to read. Without it, only defaults and the environment apply. */
  file?: string;
  /** Environment variable prefix, such as `FLEETPULSE_`, with which `gateway.port` reads `FLEETPULSE_GATEWAY_PORT`. */
  envPrefix: string;
  env?: NodeJS.ProcessEnv;
  /** The document that lists every key, such as `docs/configuration.md`, named in the message about an unknown key. */
  reference?: string;
  /**
   * Check for variables with `envPrefix` that override no key, each of which
   * becomes an issue. Variables matching `ignore` (names, or prefixes ending
   * in `*`) and those the configuration names as `{ env: NAME }` pass. Off
   * when absent.
   */
  unknownVariables?: { ignore: readonly string[] };
}

/**
 * Loads configuration from a YAML file, applies environment overrides and
 * validates the result against `schema`.
 *
 * Every leaf key of the schema can be overridden by an environment variable
 * named from its path: prefix + path segments upper-cased and joined with
 * `_`. Scalars take the variable's text (numbers and booleans are parsed),
 * lists of strings or numbers take comma-separated text, and other values
 * take JSON.
 *
 * ```ts
 * const config = loadConfig({ schema, file: 'fleetpulse.yml', envPrefix: 'FLEETPULSE_' });
 * ```
 */
export function loadConfig<S extends z.ZodType>(options: LoadOptions<S>): z.output<S> {
  const env = options.env ?? process.env;
  const issues: ConfigIssue[] = [];
  const origins = new Map<string, string>();

  let document: Document | undefined;
  let lineCounter: LineCounter | undefined;
  let raw: unknown = {};

  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new ConfigError([{ key: '(file)', source: options.file, message: `cannot read the configuration file: ${(error as Error).message}` }]);
    }
    lineCounter = new LineCounter();
    document = parseDocument(text, { lineCounter, prettyErrors: false });
    for (const error of document.errors) {
      const position = lineCounter.linePos(error.pos[0]);
      issues.push({ key: '(syntax)', source: `${options.file}:${position.line}:${position.col}`, message: error.message.split('\n')[0]! });
    }
    if (issues.length > 0) throw new ConfigError(issues);
    raw = document.toJS() ?? {};
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ConfigError([{ key: '(root)', source: options.file, message: 'expected a mapping of keys at the top level' }]);
    }
  }

  const leaves = leafPaths(options.schema);
  for (const leaf of leaves) {
    const name = variableName(options.envPrefix, leaf.path);
    const text = env[name];
    if (text === undefined) continue;

    const key = leaf.path.join('.');
    origins.set(key, `environment variable ${name}`);
    try {
      setPath(raw as Record<string, unknown>, leaf.path, coerce(text, leaf.kind));
    } catch (error) {
      issues.push({ key, source: `environment variable ${name}`, message: (error as Error).message });
    }
  }

  if (options.unknownVariables) {
    const ignore = [...options.unknownVariables.ignore, ...referencedVariables(raw)];
    for (const variable of unknownVariables(env, options.envPrefix, leaves, ignore)) {
      issues.push({ key: '', source: `environment variable ${variable.name}`, message: unknownVariableMessage(variable, options.envPrefix, leaves, options.reference) });
    }
  }

  const result = options.schema.safeParse(raw);
  if (result.success && issues.length === 0) return result.data;

  const context: IssueContext = { schema: options.schema, raw, reference: options.reference };
  for (const issue of result.error?.issues ?? []) {
    const path = issue.path.map(String);
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((extra) => [...path, extra]) : [path];
    for (const keyPath of keys) {
      const key = keyPath.join('.') || '(root)';
      const at = positionOf(issue, keyPath, options.schema, raw);
      const source = originOf(origins, keyPath) ?? locate(document, lineCounter, options.file, keyPath, at);
      issues.push({ key, source, message: describeIssue(issue, keyPath, context) });
    }
  }
  throw new ConfigError(issues);
}

/** Returns the environment variable that set the key or one of its parents, such as a list of tagging rules given as JSON. */
function originOf(origins: ReadonlyMap<string, string>, keyPath: readonly string[]): string | undefined {
  for (let length = keyPath.length; length > 0; length--) {
    const origin = origins.get(keyPath.slice(0, length).join('.'));
    if (origin !== undefined) return origin;
  }
  return undefined;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

function getPath(root: unknown, path: string[]): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/**
 * Finds the line and column of a key path in the YAML file: of its value
 * when `at` is `value` and the file gives one, else of its key, or of its
 * nearest parent key present there.
 */
function locate(document: Document | undefined, lineCounter: LineCounter | undefined, file: string | undefined, path: string[], at: 'key' | 'value'): string {
  if (!document || !lineCounter || !file) return '(defaults)';
  for (let length = path.length; length >= 0; length--) {
    const prefix = path.slice(0, length);
    const parent = length === 0 ? document.contents : document.getIn(prefix.slice(0, -1), true);
    let offset: number | undefined;
    if (length === 0) offset = document.contents?.range?.[0];
    else if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === prefix.at(-1));
      const value = pair?.value as { range?: [number, number, number] } | null | undefined;
      const showValue = at === 'value' && length === path.length && value?.range && !(isScalar(value) && value.value === null);
      offset = showValue ? value.range![0] : pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    } else if (isSeq(parent)) {
      const item = parent.items[Number(prefix.at(-1))] as { range?: [number, number, number] } | undefined;
      offset = item?.range?.[0];
    }
    if (offset !== undefined) {
      const position = lineCounter.linePos(offset);
      return `${file}:${position.line}:${position.col}`;
    }
  }
  return file;
}

/**
 * Decides whether an issue is shown at the key or at the value. An unknown
 * key and an invalid name in a mapping of names (zod's invalid_key, or a
 * custom issue raised by a record's own refinement) go to the key, because
 * the name is wrong. Any other issue goes to the value.
 */
function positionOf(issue: z.core.$ZodIssue, keyPath: string[], schema: z.ZodType, raw: unknown): 'key' | 'value' {
  if (issue.code === 'unrecognized_keys' || issue.code === 'invalid_key') return 'key';
  if (issue.code !== 'custom' || keyPath.length === 0) return 'value';
  // NOTE: a custom issue under a record could also come from a refinement of the record's values, and those are shown at the key too.
  const parent = schemaAt(schema, keyPath.slice(0, -1), raw);
  return parent !== undefined && defOf(unwrap(parent)).type === 'record' ? 'key' : 'value';
}

/** Inputs of the messages about schema issues: the schema and the loaded values, to look up the expected keys and types, and the reference document. */
interface IssueContext {
  schema: z.ZodType;
  raw: unknown;
  reference: string | undefined;
}

function describeIssue(issue: z.core.$ZodIssue, keyPath: string[], context: IssueContext): string {
  const found = getPath(context.raw, keyPath);
  let foundText = JSON.stringify(found);
  if (found === undefined) foundText = 'nothing';
  if (found === null) foundText = 'an empty value';
  switch (issue.code) {
    case 'unrecognized_keys':
      return unknownKeyMessage(keyPath, context);
    case 'invalid_type': {
      const expected = describeExpected(schemaAt(context.schema, keyPath, context.raw), issue.expected);
      if (found === undefined) return `missing; expected ${expected}`;
      // YAML reads `3` and `true` as a number and a boolean, so text that looks like one needs quotes.
      const quote = issue.expected === 'string' && (typeof found === 'number' || typeof found === 'boolean') ? `; quote it to write text: "${String(found)}"` : '';
      return `expected ${expected}, found ${foundText}${quote}`;
    }
    case 'too_small':
      return `must be at least ${String(issue.minimum)}, found ${foundText}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}, found ${foundText}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}, found ${foundText}`;
    case 'invalid_format':
      return `expected ${issue.format}, found ${foundText}`;
    case 'invalid_union':
      // zod reports only "Invalid input" when no branch of a union (text or { env } or { file }) takes the value.
      if (issue.message !== 'Invalid input') return issue.message;
      if (found === undefined) return 'missing; this key is required here';
      return context.reference === undefined ? `invalid value ${foundText}` : `invalid value ${foundText}; ${context.reference} lists the forms this key takes`;
    default:
      return issue.message;
  }
}

/** Builds the message for an unknown variable: "unknown variable: …; did you mean FLEETPULSE_GATEWAY_PORT?", or how variable names are formed. */
function unknownVariableMessage(variable: UnknownVariable, prefix: string, leaves: readonly Leaf[], reference: string | undefined): string {
  const message = 'unknown variable: it overrides no configuration key';
  if (variable.suggestion !== undefined) return `${message}; did you mean ${variable.suggestion}?`;
  const example = leaves.at(-1)?.path ?? ['key'];
  const keys = reference === undefined ? '' : `; ${reference} lists the keys`;
  return `${message}. A key's variable is ${prefix} and its path in capitals joined with _, such as ${variableName(prefix, example)} for ${example.join('.')}${keys}`;
}

/** Builds the message for an unknown key: "unknown key; did you mean 'port'?", or the keys allowed there, and the document that lists them all. */
function unknownKeyMessage(keyPath: string[], context: IssueContext): string {
  const parentPath = keyPath.slice(0, -1);
  const parent = schemaAt(context.schema, parentPath, context.raw);
  const allowed = parent === undefined ? undefined : objectKeys(parent, getPath(context.raw, parentPath));
  const reference = context.reference === undefined ? '' : `; ${context.reference} lists every key`;
  if (allowed === undefined) return `unknown key${reference}`;

  const suggestion = nearestName(keyPath.at(-1)!, allowed) ?? keyWithSharedWord(keyPath.at(-1)!, allowed);
  if (suggestion !== undefined) return `unknown key; did you mean '${suggestion}'?${context.reference === undefined ? '' : ` ${context.reference} lists every key`}`;
  const where = parentPath.length === 0 ? 'the top-level keys' : `the keys of ${parentPath.join('.')}`;
  return `unknown key; ${where} are ${allowed.join(', ')}${reference}`;
}

/**
 * Finds the one allowed key that shares a word with `key`, ignoring a
 * plural s, such as rule_files for `rules`, for a misremembered name that is
 * too far from the right one for an edit-distance suggestion.
 */
function keyWithSharedWord(key: string, allowed: readonly string[]): string | undefined {
  const words = (name: string): string[] => name.toLowerCase().split('_').filter((word) => word.length >= 3).map((word) => word.replace(/s$/, ''));
  const keyWords = new Set(words(key));
  const matches = allowed.filter((candidate) => words(candidate).some((word) => keyWords.has(word)));
  return matches.length === 1 ? matches[0] : undefined;
}
