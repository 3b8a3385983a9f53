import type { Issue } from './diagnostics.js';
import { nearestName } from './functions.js';

/**
 * Annotation and label templates: text with placeholders in double braces,
 * such as `CPU at {{value}} on {{agent}} ({{tag.region}})`. Whitespace inside
 * the braces is allowed. There is no escape: `{{` always opens a placeholder.
 */

/** Placeholders without a name part. */
export const PLACEHOLDERS = ['agent', 'value', 'rule', 'severity'] as const;
/** Placeholders that take a name after a dot: `{{tag.region}}`, `{{label.mount}}`. */
export const NAMESPACES = ['tag', 'label'] as const;

export interface TemplateData {
  agent: string;
  value: number;
  rule: string;
  severity: string;
  /** The agent's tags. */
  tags: Readonly<Record<string, string>>;
  /** The labels of the alert's series. */
  labels: Readonly<Record<string, string>>;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Checks a template and returns its problems, located by offsets into `template`. */
export function checkTemplate(template: string): Issue[] {
  const issues: Issue[] = [];
  let searchFrom = 0;
  for (;;) {
    const open = template.indexOf('{{', searchFrom);
    if (open === -1) break;
    const close = template.indexOf('}}', open + 2);
    const nextOpen = template.indexOf('{{', open + 2);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      issues.push({ message: "unclosed placeholder: add '}}'", start: open, end: open + 2 });
      searchFrom = open + 2;
      continue;
    }

    const inner = template.slice(open + 2, close);
    const name = inner.trim();
    const nameStart = open + 2 + (inner.length - inner.trimStart().length);
    const issue = checkPlaceholder(name);
    if (issue !== undefined && name === '') issues.push({ message: issue, start: open, end: close + 2 });
    else if (issue !== undefined) issues.push({ message: issue, start: nameStart, end: nameStart + name.length });
    searchFrom = close + 2;
  }
  return issues;
}

function checkPlaceholder(name: string): string | undefined {
  if (name === '') return 'empty placeholder: write a name such as {{value}} or {{agent}}';
  if ((PLACEHOLDERS as readonly string[]).includes(name)) return undefined;

  const dot = name.indexOf('.');
  if (dot !== -1) {
    const namespace = name.slice(0, dot);
    const key = name.slice(dot + 1);
    if ((NAMESPACES as readonly string[]).includes(namespace)) {
      return NAME.test(key) ? undefined : `invalid ${namespace} name '${key}' in placeholder {{${name}}}: use letters, digits and '_'`;
    }
    const suggestion = nearestName(namespace, NAMESPACES);
    if (suggestion !== undefined) return `unknown placeholder {{${name}}}: did you mean {{${suggestion}.${key}}}?`;
  }

  const suggestion = nearestName(name, PLACEHOLDERS);
  const hint = suggestion === undefined ? `: use ${PLACEHOLDERS.map((item) => `{{${item}}}`).join(', ')}, {{tag.NAME}} or {{label.NAME}}` : `: did you mean {{${suggestion}}}?`;
  return `unknown placeholder {{${name}}}${hint}`;
}

/**
 * Formats `{{value}}`: integers in full, other numbers with up to six
 * significant digits (93.456789 gives 93.4568), NaN as `NaN`.
 */
export function formatTemplateValue(value: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/**
 * Fills a template's placeholders. A missing tag or label gives the empty
 * string; a placeholder that `checkTemplate` would reject is left as written.
 */
export function renderTemplate(template: string, data: TemplateData): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    switch (name) {
      case 'agent':
        return data.agent;
      case 'value':
        return formatTemplateValue(data.value);
      case 'rule':
        return data.rule;
      case 'severity':
        return data.severity;
    }
    if (name.startsWith('tag.')) return Object.hasOwn(data.tags, name.slice(4)) ? data.tags[name.slice(4)]! : '';
    if (name.startsWith('label.')) return Object.hasOwn(data.labels, name.slice(6)) ? data.labels[name.slice(6)]! : '';
    return whole;
  });
}
