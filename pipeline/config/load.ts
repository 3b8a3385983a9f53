import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';

/** One invalid configuration value: where it came from and what is expected. */
export interface ConfigIssue {
  /** Dotted key path, such as `gateway.port`. */
  key: string;
  /** `file:line:column` or the name of the environment variable. */
  source: string;
  message: string;
}

/** Raised when configuration is invalid; startup stops and prints every issue. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((issue) => `  ${issue.source}: ${issue.key}: ${issue.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions<S extends z.ZodType> {
  schema: S;
  /** YAML file to read; when undefined only defaults and environment apply. */
  file?: string;
  /** Environment variable prefix, such as `FLEETPULSE_`; `gateway.port` then reads `FLEETPULSE_GATEWAY_PORT`. */
  envPrefix: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads configuration from a YAML file, applies environment overrides and
 * validates the result against `schema`.
 *
 * Every leaf key of the schema can be overridden by an environment variable
 * named from its path: prefix + path segments upper-cased and joined with
 * `_`. Scalars take the variable's text (numbers and booleans are parsed),
 * arrays of scalars take comma-separated text, and objects or arrays of
 * objects take JSON.
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

  for (const leaf of leafPaths(options.schema)) {
    const name = options.envPrefix + leaf.path.map((segment) => segment.toUpperCase()).join('_');
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

  const result = options.schema.safeParse(raw);
  if (result.success && issues.length === 0) return result.data;

  for (const issue of result.error?.issues ?? []) {
    const path = issue.path.map(String);
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((extra) => [...path, extra]) : [path];
    for (const keyPath of keys) {
      const key = keyPath.join('.') || '(root)';
      const source = origins.get(key) ?? locate(document, lineCounter, options.file, keyPath);
      issues.push({ key, source, message: describeIssue(issue, getPath(raw, keyPath)) });
    }
  }
  throw new ConfigError(issues);
}

type LeafKind = 'string' | 'number' | 'boolean' | 'list' | 'json';

interface Leaf {
  path: string[];
  kind: LeafKind;
}

/** Walks object schemas to their leaves, looking through defaults, optionals and pipes. */
export function leafPaths(schema: z.ZodType, path: string[] = []): Leaf[] {
  const inner = unwrap(schema);
  const def = inner.def as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; options?: z.ZodType[] };

  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([key, child]) => leafPaths(child, [...path, key]));
  }
  if (path.length === 0) return [];

  switch (def.type) {
    case 'number':
      return [{ path, kind: 'number' }];
    case 'boolean':
      return [{ path, kind: 'boolean' }];
    case 'string':
    case 'enum':
    case 'literal':
    case 'union':
      return [{ path, kind: 'string' }];
    case 'array': {
      const element = def.element ? (unwrap(def.element).def as { type: string }).type : 'unknown';
      return [{ path, kind: element === 'string' || element === 'number' ? 'list' : 'json' }];
    }
    default:
      return [{ path, kind: 'json' }];
  }
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

function coerce(text: string, kind: LeafKind): unknown {
  switch (kind) {
    case 'string':
      return text;
    case 'number': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`expected a number, found ${JSON.stringify(text)}`);
      return value;
    }
    case 'boolean':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw new Error(`expected true or false, found ${JSON.stringify(text)}`);
    case 'list':
      return text.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`expected JSON text, found ${JSON.stringify(text.slice(0, 60))}`);
      }
  }
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

/** Finds the line and column of a key path in the YAML file, or of its nearest parent present there. */
function locate(document: Document | undefined, lineCounter: LineCounter | undefined, file: string | undefined, path: string[]): string {
  if (!document || !lineCounter || !file) return '(defaults)';
  for (let length = path.length; length >= 0; length--) {
    const prefix = path.slice(0, length);
    const parent = length === 0 ? document.contents : document.getIn(prefix.slice(0, -1), true);
    let offset: number | undefined;
    if (length === 0) offset = document.contents?.range?.[0];
    else if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === prefix.at(-1));
      offset = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
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

function describeIssue(issue: z.core.$ZodIssue, found: unknown): string {
  const shown = found === undefined ? 'nothing' : JSON.stringify(found);
  switch (issue.code) {
    case 'unrecognized_keys':
      return 'unknown key; check its spelling against the configuration reference';
    case 'invalid_type':
      return found === undefined ? `missing; expected ${issue.expected}` : `expected ${issue.expected}, found ${shown}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}, found ${shown}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}, found ${shown}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}, found ${shown}`;
    case 'invalid_format':
      return `expected ${issue.format}, found ${shown}`;
    default:
      return issue.message;
  }
}
