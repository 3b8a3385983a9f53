import type { z } from 'zod';

/** The parts of a zod 4 schema definition that the walkers read. */
interface WalkedDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  getter?: () => z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  values?: unknown[];
}

export function defOf(schema: z.ZodType): WalkedDef {
  return schema.def as WalkedDef;
}

/**
 * Lists `schema` and the schemas it wraps, outermost first: through
 * defaults, prefaults, optionals, pipes (the input side of a transform) and
 * lazy schemas, down to the one that checks the value's type.
 */
export function wrappersOf(schema: z.ZodType): z.ZodType[] {
  const chain = [schema];
  for (;;) {
    const def = defOf(chain.at(-1)!);
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined) ?? (def.type === 'lazy' ? def.getter?.() : undefined);
    if (next === undefined) return chain;
    chain.push(next);
  }
}

/** Returns the innermost schema of `wrappersOf`, the one that checks the value's type. */
export function unwrap(schema: z.ZodType): z.ZodType {
  return wrappersOf(schema).at(-1)!;
}

/**
 * Picks the option of a union that describes `value`: the only object
 * option, or else the object option whose literal keys (such as
 * `type: slack`) `value` matches. Returns undefined when no option fits or
 * several do.
 */
function optionFor(options: readonly z.ZodType[], value: unknown): z.ZodType | undefined {
  const objects = options.map(unwrap).filter((option) => defOf(option).type === 'object');
  if (objects.length === 1) return objects[0];

  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const matching = objects.filter((option) =>
    Object.entries(defOf(option).shape ?? {}).some(([key, child]) => {
      const literal = defOf(unwrap(child));
      return literal.type === 'literal' && literal.values !== undefined && literal.values.includes(record[key]);
    }),
  );
  return matching.length === 1 ? matching[0] : undefined;
}

/** Unwraps `schema`, and for a union, picks the option that describes `value`. */
function resolve(schema: z.ZodType, value: unknown): z.ZodType | undefined {
  const inner = unwrap(schema);
  const def = defOf(inner);
  if (def.type !== 'union' || !def.options) return inner;
  const option = optionFor(def.options, value);
  return option === undefined ? undefined : unwrap(option);
}

/**
 * Finds the schema of the value at `path` (object keys, list indexes and
 * record keys), using the `root` value to choose among the options of
 * unions. Returns the schema with its wrappers, or undefined when the path
 * leaves the schema.
 *
 * ```ts
 * schemaAt(fleetpulseConfigSchema, ['gateway', 'port'], raw); // the port's schema
 * ```
 */
export function schemaAt(schema: z.ZodType, path: readonly string[], root: unknown): z.ZodType | undefined {
  let current: z.ZodType = schema;
  let value = root;
  for (const segment of path) {
    const inner = resolve(current, value);
    if (inner === undefined) return undefined;
    const def = defOf(inner);
    let next: z.ZodType | undefined;
    if (def.type === 'object') next = def.shape?.[segment];
    else if (def.type === 'array') next = def.element;
    else if (def.type === 'record') next = def.valueType;
    if (next === undefined) return undefined;
    current = next;
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[segment] : undefined;
  }
  return current;
}

/** Returns the keys an object schema allows, or undefined when `schema` (given the `value` it checks) is not an object. */
export function objectKeys(schema: z.ZodType, value: unknown): string[] | undefined {
  const inner = resolve(schema, value);
  if (inner === undefined) return undefined;
  const def = defOf(inner);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}
