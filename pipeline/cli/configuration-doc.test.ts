import { readFileSync } from 'node:fs';
import t from 'tap';
import type { z } from 'zod';
import { agentConfigSchema } from '../../agent/config.js';
import { leafPaths } from '../config/environment.js';
import { defOf, schemaAt, wrappersOf } from '../config/schema-walk.js';
import { fleetpulseConfigSchema } from './config.js';

/**
 * Documents whose key tables must list every key of their schema with its
 * default and choices, so these tests fail when a schema and its document
 * drift apart.
 */
const DOCUMENTS = [
  { name: 'docs/configuration.md', schema: fleetpulseConfigSchema as z.ZodType, minimumRows: 100 },
  { name: 'agent/README.md', schema: agentConfigSchema as z.ZodType, minimumRows: 19 },
];

/** Defaults that depend on the machine, written in words in the documents. */
const DEFAULTS_IN_WORDS: Record<string, string> = { 'local_agent.agent_id': 'the host name', agent_id: 'the host name' };

interface DocumentedKey {
  key: string;
  type: string;
  defaultText: string;
  line: number;
}

/** Reads the rows `| \`key\` | type | default | meaning |` of a document's key tables. */
function documentedKeys(name: string): DocumentedKey[] {
  const text = readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');
  const rows: DocumentedKey[] = [];
  text.split('\n').forEach((line, index) => {
    const match = /^\| `([a-z0-9_.[\]]+)` \| ([^|]+) \| ([^|]+) \| [^|]+ \|$/.exec(line);
    if (match) rows.push({ key: match[1]!, type: match[2]!.trim(), defaultText: match[3]!.trim(), line: index + 1 });
  });
  return rows;
}

/** Finds the schema of a documented key; `[]` stands for any item of a list. */
function schemaOf(schema: z.ZodType, key: string): z.ZodType | undefined {
  return schemaAt(schema, key.replaceAll('[]', '.0').split('.'), {});
}

/** Formats a default as the documents write it: `` `30s` ``, `` `[console]` ``, `` `""` ``, `none` when optional, `required` when neither. */
function defaultText(schema: z.ZodType): string {
  let optional = false;
  for (const wrapper of wrappersOf(schema)) {
    const def = wrapper.def as { type: string; defaultValue?: unknown };
    if (def.type === 'default' || def.type === 'prefault') return `\`${yamlText(def.defaultValue)}\``;
    if (def.type === 'optional') optional = true;
  }
  return optional ? 'none' : 'required';
}

function yamlText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(yamlText).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length === 0 ? '{}' : JSON.stringify(value);
  if (value === '') return '""';
  return String(value);
}

for (const document of DOCUMENTS) {
  t.test(`${document.name} lists every key`, async (t) => {
    const documented = new Set(documentedKeys(document.name).map((row) => row.key));
    for (const leaf of leafPaths(document.schema)) {
      const key = leaf.path.join('.');
      t.ok(documented.has(key), `${document.name} lacks a row for ${key}; add | \`${key}\` | type | default | meaning |`);
    }
  });

  t.test(`${document.name} keys exist`, async (t) => {
    const rows = documentedKeys(document.name);
    t.ok(rows.length >= document.minimumRows, `found ${rows.length} key rows`);
    for (const row of rows) {
      t.ok(schemaOf(document.schema, row.key), `${document.name}:${row.line}: ${row.key} is not a configuration key`);
    }
  });

  t.test(`${document.name} defaults`, async (t) => {
    for (const row of documentedKeys(document.name)) {
      const schema = schemaOf(document.schema, row.key);
      if (schema === undefined) continue;
      t.equal(row.defaultText, DEFAULTS_IN_WORDS[row.key] ?? defaultText(schema), `${document.name}:${row.line}: default of ${row.key}`);
    }
  });

  t.test(`${document.name} enum choices`, async (t) => {
    // A key with a fixed set of values lists them as its type.
    for (const row of documentedKeys(document.name)) {
      const schema = schemaOf(document.schema, row.key);
      const inner = schema === undefined ? undefined : (defOf(wrappersOf(schema).at(-1)!) as { type: string; entries?: Record<string, string> });
      if (inner?.type !== 'enum' || inner.entries === undefined) continue;
      const choices = [...row.type.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
      t.same(choices, Object.values(inner.entries), `${document.name}:${row.line}: choices of ${row.key}`);
    }
  });
}
