import type { z } from 'zod';
import { nearestName } from './nearest-name.js';
import { defOf, unwrap } from './schema-walk.js';

type LeafKind = 'string' | 'number' | 'boolean' | 'list' | 'number-list' | 'json';

/** A key that an environment variable can set, and how the variable's text is read. */
export interface Leaf {
  path: string[];
  kind: LeafKind;
}

/** Lists the leaf keys of an object schema and how a variable sets each, looking through wrappers such as defaults, optionals and pipes. */
export function leafPaths(schema: z.ZodType, path: string[] = []): Leaf[] {
  const def = defOf(unwrap(schema));

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
      const element = def.element ? defOf(unwrap(def.element)).type : 'unknown';
      if (element === 'string') return [{ path, kind: 'list' }];
      if (element === 'number') return [{ path, kind: 'number-list' }];
      return [{ path, kind: 'json' }];
    }
    default:
      return [{ path, kind: 'json' }];
  }
}

/** Returns the name of the variable that overrides a key: `FLEETPULSE_` and `gateway.port` give `FLEETPULSE_GATEWAY_PORT`. */
export function variableName(prefix: string, path: readonly string[]): string {
  return prefix + path.map((segment) => segment.toUpperCase()).join('_');
}

/** Reads a variable's text as the value of a leaf of the given kind. Throws an Error whose message names the expected form. */
export function coerce(text: string, kind: LeafKind): unknown {
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
      return splitList(text);
    case 'number-list': {
      const values = splitList(text).map(Number);
      if (values.some((value) => !Number.isFinite(value))) throw new Error(`expected comma-separated numbers, found ${JSON.stringify(text)}`);
      return values;
    }
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`expected JSON text, found ${JSON.stringify(text.slice(0, 60))}`);
      }
  }
}

function splitList(text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}

/** Returns whether `name` matches one of `patterns`: exact names, or prefixes written with a trailing `*` (`FLEETPULSE_TEST_*`). */
function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern));
}

/** An environment variable with the configuration's prefix that overrides no key. */
export interface UnknownVariable {
  name: string;
  /** The nearest variable that does override a key, when the name looks like a typo of it. */
  suggestion?: string;
}

/**
 * Finds the variables that start with `prefix` but name no leaf of the
 * configuration, so a typo such as FLEETPULSE_GATEWAY_PROT stops startup
 * instead of being ignored. Variables matching `ignore` (names, or prefixes
 * ending in `*`) belong to other tools and are skipped.
 */
export function unknownVariables(env: NodeJS.ProcessEnv, prefix: string, leaves: readonly Leaf[], ignore: readonly string[]): UnknownVariable[] {
  const known = new Set(leaves.map((leaf) => variableName(prefix, leaf.path)));
  const unknown: UnknownVariable[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(prefix) || known.has(name) || matchesAny(name, ignore)) continue;
    const suggestion = nearestName(name.slice(prefix.length), [...known].map((variable) => variable.slice(prefix.length)));
    unknown.push(suggestion === undefined ? { name } : { name, suggestion: prefix + suggestion });
  }
  return unknown;
}

/**
 * Collects the variable names that the configuration reads secrets from,
 * written `{ env: NAME }` anywhere in it, because a user may name such a
 * variable with the configuration's prefix.
 */
export function referencedVariables(value: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedVariables(item, names);
  } else if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === 'env' && typeof entries[0]![1] === 'string') names.add(entries[0]![1]);
    for (const [, child] of entries) referencedVariables(child, names);
  }
  return names;
}
