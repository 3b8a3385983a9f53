import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, Scalar, type Document, type YAMLMap } from 'yaml';
import { formatDuration, parseDuration } from '../pipeline/config/duration.js';
import { placeIssues, SourceFile, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { formatConditionText } from './format-condition.js';
import { parseRuleDocument, RULE_KEYS, yamlErrorDiagnostics } from './rule-file.js';
import { mapScalar, offsetMapOf } from './yaml-scalar.js';

export { formatCondition, formatConditionText, formatSelector, quoteString } from './format-condition.js';

export interface FormatResult {
  /** The formatted file, present when `diagnostics` is empty. */
  text?: string;
  diagnostics: Diagnostic[];
}

/**
 * Formats the text of a rule file, as `fleetpulse rules fmt` prints it.
 * Conditions are printed in canonical form, as plain scalars where YAML
 * allows, and durations as their shortest text. The keys of each rule follow
 * `RULE_KEYS` (other keys after them), and comments are kept.
 *
 * Only YAML and condition syntax errors stop formatting; the other checks
 * belong to `checkRuleFiles`.
 */
export function formatRuleText(text: string, file: string): FormatResult {
  const source = new SourceFile(file, text);
  const document = parseRuleDocument(text);
  const yamlErrors = yamlErrorDiagnostics(document, source);
  if (yamlErrors.length > 0) return { diagnostics: yamlErrors };

  const diagnostics: Diagnostic[] = [];
  for (const rule of ruleMaps(document)) formatRule(rule, source, diagnostics);
  if (diagnostics.length > 0) return { diagnostics: sortDiagnostics(diagnostics) };
  return { text: document.toString({ lineWidth: 0, flowCollectionPadding: false }), diagnostics: [] };
}

/** Reads and formats a rule file; see `formatRuleText`. */
export function formatRuleFile(path: string): FormatResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { diagnostics: [new SourceFile(path, '').fileDiagnostic(`failed to read the rule file: ${(error as Error).message}`)] };
  }
  return formatRuleText(text, path);
}

/** Collects the mappings that are rules: items of a top-level list, or of each group's `rules`. */
function ruleMaps(document: Document.Parsed): YAMLMap[] {
  const root = document.contents;
  const maps: YAMLMap[] = [];
  const collect = (items: readonly unknown[]) => {
    for (const item of items) if (isMap(item)) maps.push(item);
  };
  if (isSeq(root)) collect(root.items);
  if (isMap(root)) {
    const groups = root.get('groups', true);
    if (isSeq(groups)) {
      for (const group of groups.items) {
        const rules = isMap(group) ? group.get('rules', true) : undefined;
        if (isSeq(rules)) collect(rules.items);
      }
    }
  }
  return maps;
}

function formatRule(rule: YAMLMap, source: SourceFile, diagnostics: Diagnostic[]): void {
  const name = rule.get('name');
  const ruleName = typeof name === 'string' ? name : undefined;

  for (const key of ['condition', 'resolve']) {
    const node = rule.get(key, true);
    if (!isScalar(node) || typeof node.value !== 'string') continue;
    const formatted = formatConditionText(node.value);
    if (formatted.text === undefined) {
      diagnostics.push(...placeIssues(formatted.issues, source, offsetMapOf(mapScalar(node, node.value)), ruleName));
      continue;
    }
    node.value = formatted.text;
    // YAML quotes the value by itself when a plain scalar cannot hold it.
    node.type = Scalar.PLAIN;
  }

  for (const key of ['duration', 'keep_firing_for']) {
    const node = rule.get(key, true);
    if (!isScalar(node)) continue;
    let ms: number | undefined;
    if (node.value === 0) ms = 0;
    else if (typeof node.value === 'string') ms = parseDuration(node.value);
    if (ms === undefined) continue;
    node.value = formatDuration(ms);
    node.type = Scalar.PLAIN;
  }

  const rank = (key: unknown) => {
    const index = (RULE_KEYS as readonly unknown[]).indexOf(isScalar(key) ? key.value : undefined);
    return index === -1 ? RULE_KEYS.length : index;
  };
  // Array.prototype.sort is stable, so unknown keys keep their order.
  rule.items.sort((a, b) => rank(a.key) - rank(b.key));
}
