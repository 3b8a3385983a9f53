import { z } from 'zod';
import { defOf, unwrap, wrappersOf } from './schema-walk.js';

/** Description of a configuration value in the words of a user who writes YAML, with an example. */
export interface ValueHint {
  /** Text that completes "expected …", such as `a list of file or folder paths, such as [rules/]`. */
  expected: string;
}

/**
 * Hints for the values whose generic wording would not say enough, attached
 * to the schema objects themselves, so a schema reused in two places (the
 * agent's `tags` in agent.yml and in `local_agent`) has one hint.
 *
 * ```ts
 * valueHints.add(tagsSchema, { expected: 'a mapping of tag names to values, such as {env: prod}' });
 * ```
 */
export const valueHints = z.registry<ValueHint>();

/**
 * Describes what `schema` expects, for a type error: its registered hint, or a
 * description of its YAML shape. `fallback` (zod's type name) is used for
 * types without a description.
 */
export function describeExpected(schema: z.ZodType | undefined, fallback: string): string {
  if (schema === undefined) return fallback;
  for (const wrapper of wrappersOf(schema)) {
    const hint = valueHints.get(wrapper);
    if (hint) return hint.expected;
  }

  const def = defOf(unwrap(schema));
  switch (def.type) {
    case 'array':
      return 'a list, written [a, b] or as lines starting with "- "';
    case 'record':
      return 'a mapping of names to values, written {name: value} or as indented "name: value" lines';
    case 'object':
      return 'a mapping of keys, written as indented "key: value" lines';
    case 'string':
      return 'string';
    case 'number':
      return fallback === 'int' ? 'an integer' : 'a number';
    case 'boolean':
      return 'true or false';
    default:
      return fallback;
  }
}
