import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { parseDuration } from '../pipeline/config/duration.js';
import { SEVERITIES, type Severity } from '../pipeline/messages/alert-event.js';
import type { Expr } from './ast.js';
import type { CheckOptions } from './check.js';
import { buildCondition, type CompiledCondition } from './compile.js';
import { placeIssues, SourceFile, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { nearestName } from './functions.js';
import { mapScalar, offsetMapOf } from './yaml-scalar.js';
import { yamlErrorDiagnostics } from './yaml-errors.js';
import { checkTemplate } from './template.js';

/**
 * Rule files: YAML holding either a list of rules or `groups:` of named rule
 * lists. The loader reports every problem of a file, each with its line and
 * column, and returns the rules that are valid.
 *
 * ```yaml
 * - name: HighCPU
 *   condition: cpu_usage > 90
 *   duration: 3m
 *   severity: critical
 * ```
 */

export interface RuleFileOptions extends CheckOptions {
  /** Receiver names that `notify` may name; any other name is an error. */
  receivers: Iterable<string>;
}

/** A condition as written and as compiled. */
export interface RuleCondition {
  text: string;
  ast: Expr;
  compiled: CompiledCondition;
}

export interface Rule {
  name: string;
  /** Name of the group the rule belongs to; undefined in a file that is a plain list. */
  group?: string;
  file: string;
  /** 1-based line of the rule's name. */
  line: number;
  /** 1-based column of the rule's name. */
  column: number;
  condition: RuleCondition;
  /** Condition that must hold before a firing alert resolves (hysteresis); without it, the alert resolves when `condition` stops holding. */
  resolve?: RuleCondition;
  /** How long the condition must hold before the alert fires (the `for` period), in milliseconds. */
  durationMs: number;
  /** How long the alert keeps firing after the condition stops holding, in milliseconds. */
  keepFiringForMs: number;
  severity: Severity;
  notify: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Position of a rule's name, kept for rules with errors too, so that names repeated across files are all found in one run. */
export interface RuleDeclaration {
  name: string;
  file: string;
  /** 1-based line and column of the name's value. */
  line: number;
  column: number;
}

export interface RuleFileResult {
  /** The rules without errors, in file order. */
  rules: Rule[];
  /** Every rule that has a name, with or without errors, in file order. */
  declarations: RuleDeclaration[];
  diagnostics: Diagnostic[];
}

/** Keys of a rule, in the order the formatter writes them. */
export const RULE_KEYS = ['name', 'condition', 'resolve', 'duration', 'keep_firing_for', 'severity', 'notify', 'labels', 'annotations'] as const;
const GROUP_KEYS = ['name', 'rules'];
/** Keys of other alerting tools that mean one of ours. */
const KEY_ALIASES: Record<string, string> = { for: 'duration', expr: 'condition', alert: 'name', receiver: 'notify', receivers: 'notify' };
/** Labels every alert gets from the engine; a rule may not set them. */
const ENGINE_LABELS = new Set(['alertname', 'agent']);
const SEVERITY_CHOICES = `${SEVERITIES.slice(0, -1).join(', ')} or ${SEVERITIES[SEVERITIES.length - 1]}`;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parses the YAML document of a rule file, keeping the source tokens that position mapping needs. */
export function parseRuleDocument(text: string): Document.Parsed {
  return parseDocument(text, { keepSourceTokens: true, prettyErrors: false });
}

export { yamlErrorDiagnostics } from './yaml-errors.js';

/** Checks and compiles the rules of one file's text. `file` names it in diagnostics. */
export function parseRuleFile(text: string, file: string, options: RuleFileOptions): RuleFileResult {
  const loader = new RuleFileLoader(new SourceFile(file, text), options);
  loader.load(parseRuleDocument(text));
  return { rules: loader.rules, declarations: loader.declarations, diagnostics: sortDiagnostics(loader.diagnostics) };
}

/** Reads, checks and compiles one rule file. */
export function loadRuleFile(path: string, options: RuleFileOptions): RuleFileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const source = new SourceFile(path, '');
    return { rules: [], declarations: [], diagnostics: [source.fileDiagnostic(`failed to read the rule file: ${(error as Error).message}`)] };
  }
  return parseRuleFile(text, path, options);
}

/**
 * Checks a set of rule files, as `fleetpulse rules check` does: every file's
 * problems plus rule names that repeat across files, including the names of
 * rules that have other errors, so one run reports every problem. A
 * directory means the `.yml` and `.yaml` files directly inside it. `ok` is
 * false when any diagnostic is an error.
 */
export function checkRuleFiles(paths: readonly string[], options: RuleFileOptions): { rules: Rule[]; diagnostics: Diagnostic[]; ok: boolean } {
  const rules: Rule[] = [];
  const declarations: RuleDeclaration[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const path of expandPaths(paths, diagnostics)) {
    const result = loadRuleFile(path, options);
    rules.push(...result.rules);
    declarations.push(...result.declarations);
    diagnostics.push(...result.diagnostics);
  }

  // Names must be unique across the set, not only within a file. Each file's
  // loader reports its own repeats, so only repeats across files are reported here.
  const first = new Map<string, RuleDeclaration>();
  for (const declaration of declarations) {
    const earlier = first.get(declaration.name);
    if (earlier === undefined) first.set(declaration.name, declaration);
    else if (earlier.file !== declaration.file) {
      diagnostics.push(diagnosticAtName(declaration, `duplicate rule name '${declaration.name}': first defined at ${earlier.file}:${earlier.line}:${earlier.column}`));
    }
  }
  const isFirst = (rule: Rule): boolean => {
    const declaration = first.get(rule.name);
    return declaration?.file === rule.file && declaration.line === rule.line && declaration.column === rule.column;
  };
  return { rules: rules.filter(isFirst), diagnostics: sortDiagnostics(diagnostics), ok: !diagnostics.some((diagnostic) => diagnostic.severity === 'error') };
}

function diagnosticAtName(rule: RuleDeclaration, message: string): Diagnostic {
  let text = '';
  try {
    text = readFileSync(rule.file, 'utf8');
  } catch {
    // The file was read a moment ago; without it the diagnostic has no source line.
  }
  const sourceLine = new SourceFile(rule.file, text).lineText(rule.line);
  const endColumn = Math.min(rule.column + rule.name.length, sourceLine.length + 1);
  return { severity: 'error', file: rule.file, line: rule.line, column: rule.column, endColumn, sourceLine, message, rule: rule.name };
}

/** Whether a file in a rule directory is a rule file: `.yml` or `.yaml`, except rule unit tests (`*.test.yml`), which may sit beside the rules they test. */
export function isRuleFileName(name: string): boolean {
  return /\.ya?ml$/.test(name) && !/\.test\.ya?ml$/.test(name);
}

function expandPaths(paths: readonly string[], diagnostics: Diagnostic[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      // A missing path is reported when loadRuleFile fails to read it.
    }
    if (!isDirectory) {
      files.push(normalize(path));
      continue;
    }
    const entries = readdirSync(path).filter(isRuleFileName).sort();
    if (entries.length === 0) diagnostics.push(new SourceFile(path, '').fileDiagnostic('the directory contains no .yml or .yaml rule file'));
    files.push(...entries.map((name) => join(path, name)));
  }
  // A file named twice (directly and through its directory) is loaded once.
  return [...new Set(files)];
}

/** Text of a scalar as the rule author wrote it; plain numbers and booleans keep their source text. */
function scalarText(node: Scalar): string | undefined {
  if (typeof node.value === 'string') return node.value;
  if (node.type === 'PLAIN' && node.srcToken !== undefined && 'source' in node.srcToken && (typeof node.value === 'number' || typeof node.value === 'boolean')) {
    return node.srcToken.source;
  }
  return undefined;
}

function describeNode(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null) return 'nothing';
    if (typeof node.value === 'string') return JSON.stringify(node.value);
    return `${typeof node.value} ${String(node.value)}`;
  }
  return 'nothing';
}

class RuleFileLoader {
  readonly rules: Rule[] = [];
  readonly declarations: RuleDeclaration[] = [];
  readonly diagnostics: Diagnostic[] = [];
  private readonly receivers: Set<string>;
  /** Line of the first definition of each rule name in this file. */
  private readonly names = new Map<string, number>();

  constructor(
    private readonly source: SourceFile,
    private readonly options: RuleFileOptions,
  ) {
    this.receivers = new Set(options.receivers);
  }

  private error(node: { range?: [number, number, number] | null } | undefined, message: string, rule?: string): void {
    const range = node?.range ?? [0, 0, 0];
    this.diagnostics.push(this.source.diagnostic(message, range[0], range[1], rule === undefined ? {} : { rule }));
  }

  load(document: Document.Parsed): void {
    const yamlErrors = yamlErrorDiagnostics(document, this.source);
    if (yamlErrors.length > 0) {
      this.diagnostics.push(...yamlErrors);
      return;
    }

    const root = document.contents;
    if (root === null || (isScalar(root) && root.value === null)) return;
    if (isSeq(root)) {
      this.loadRules(root.items, undefined);
      return;
    }
    if (isMap(root)) {
      this.loadGroups(root);
      return;
    }
    this.error(root, `a rule file is a list of rules or a mapping with 'groups', but this file holds ${describeNode(root)}`);
  }

  private loadGroups(root: YAMLMap): void {
    const groups = this.pairsOf(root, ['groups'], undefined).get('groups');
    if (groups === undefined) {
      if (root.items.length === 0) return;
      this.error(root, "a rule file that is a mapping needs 'groups': a list of {name, rules}");
      return;
    }
    if (!isSeq(groups.value)) {
      this.error(groups.value as Node | undefined ?? groups.key as Node, `'groups' must be a list of {name, rules}, but found ${describeNode(groups.value)}`);
      return;
    }

    const groupNames = new Set<string>();
    for (const item of groups.value.items) {
      if (!isMap(item)) {
        this.error(item as Node, `a group must be a mapping with 'name' and 'rules', but found ${describeNode(item)}`);
        continue;
      }
      const pairs = this.pairsOf(item, GROUP_KEYS, undefined);
      const name = this.requiredString(item, pairs.get('name'), 'name', undefined);
      if (name !== undefined) {
        if (groupNames.has(name)) this.error(pairs.get('name')!.value as Node, `duplicate group name '${name}'`);
        groupNames.add(name);
      }
      const rules = pairs.get('rules');
      if (rules === undefined) {
        this.error(item, `group '${name ?? '?'}' has no 'rules': add a list of rules`);
      } else if (!isSeq(rules.value)) {
        this.error((rules.value as Node | null) ?? (rules.key as Node), `'rules' must be a list of rules, but found ${describeNode(rules.value)}`);
      } else {
        this.loadRules(rules.value.items, name);
      }
    }
  }

  private loadRules(items: readonly unknown[], group: string | undefined): void {
    for (const item of items) {
      if (!isMap(item)) {
        this.error(item as Node, `a rule must be a mapping with at least 'name', 'condition' and 'severity', but found ${describeNode(item)}`);
        continue;
      }
      const rule = this.loadRule(item, group);
      if (rule !== undefined) this.rules.push(rule);
    }
  }

  /**
   * Collects a mapping's pairs by key, reporting keys outside `allowed` with
   * the nearest allowed key as a hint.
   */
  private pairsOf(map: YAMLMap, allowed: readonly string[], rule: string | undefined): Map<string, Pair> {
    const pairs = new Map<string, Pair>();
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== 'string') {
        this.error(pair.key as Node, `keys must be plain names, but found ${describeNode(pair.key)}`, rule);
        continue;
      }
      if (!allowed.includes(key)) {
        const alias = KEY_ALIASES[key];
        const suggestion = alias !== undefined && allowed.includes(alias) ? alias : nearestName(key, allowed);
        const choices = allowed.length === 1 ? `the only key here is '${allowed[0]}'` : `the keys are ${allowed.join(', ')}`;
        const hint = suggestion === undefined ? `: ${choices}` : `: did you mean '${suggestion}'?`;
        this.error(pair.key as Node, `unknown key '${key}'${hint}`, rule);
        continue;
      }
      pairs.set(key, pair);
    }
    return pairs;
  }

  private requiredString(map: YAMLMap, pair: Pair | undefined, key: string, rule: string | undefined): string | undefined {
    if (pair === undefined) {
      this.error(map, `missing '${key}'`, rule);
      return undefined;
    }
    const value = pair.value;
    if (!isScalar(value) || typeof value.value !== 'string' || value.value.trim() === '') {
      this.error((value as Node | null) ?? (pair.key as Node), `'${key}' must be a non-empty string, but found ${describeNode(value)}`, rule);
      return undefined;
    }
    return value.value;
  }

  private loadRule(map: YAMLMap, group: string | undefined): Rule | undefined {
    const before = this.diagnostics.length;
    // The name labels every later diagnostic of this rule, so it is read
    // before the other keys are checked.
    const namePair = map.items.find((pair) => isScalar(pair.key) && pair.key.value === 'name');
    const name = this.requiredString(map, namePair, 'name', undefined);
    const pairs = this.pairsOf(map, RULE_KEYS, name);
    const namePosition = this.source.position((namePair?.value as Node | null)?.range?.[0] ?? map.range?.[0] ?? 0);
    if (name !== undefined) {
      this.declarations.push({ name, file: this.source.name, line: namePosition.line, column: namePosition.column });
      const firstLine = this.names.get(name);
      if (firstLine !== undefined) {
        this.error(namePair!.value as Node, `duplicate rule name '${name}': first defined on line ${firstLine}`, name);
      } else {
        this.names.set(name, namePosition.line);
      }
    }

    const condition = this.conditionOf(map, pairs, 'condition', name, true);
    const resolve = this.conditionOf(map, pairs, 'resolve', name, false);
    const durationMs = this.durationOf(pairs, 'duration', name);
    const keepFiringForMs = this.durationOf(pairs, 'keep_firing_for', name);
    const severity = this.severityOf(map, pairs, name);
    const notify = this.notifyOf(pairs, name);
    const labels = this.stringMapOf(pairs, 'labels', name);
    const annotations = this.stringMapOf(pairs, 'annotations', name);

    if (this.diagnostics.length > before || name === undefined || condition === undefined || severity === undefined) return undefined;
    const rule: Rule = {
      name,
      file: this.source.name,
      line: namePosition.line,
      column: namePosition.column,
      condition,
      durationMs,
      keepFiringForMs,
      severity,
      notify,
      labels,
      annotations,
    };
    if (group !== undefined) rule.group = group;
    if (resolve !== undefined) rule.resolve = resolve;
    return rule;
  }

  private conditionOf(map: YAMLMap, pairs: Map<string, Pair>, key: 'condition' | 'resolve', rule: string | undefined, required: boolean): RuleCondition | undefined {
    const pair = pairs.get(key);
    if (pair === undefined) {
      if (required) this.error(map, `missing '${key}': add an expression such as cpu_usage > 90`, rule);
      return undefined;
    }
    const node = pair.value;
    const text = isScalar(node) ? scalarText(node) : undefined;
    if (!isScalar(node) || text === undefined) {
      this.error((node as Node | null) ?? (pair.key as Node), `'${key}' must be an expression such as cpu_usage > 90, but found ${describeNode(node)}`, rule);
      return undefined;
    }

    const mapped = mapScalar(node, text);
    const built = buildCondition(text, this.options);
    if (built.condition === undefined || built.ast === undefined) {
      this.diagnostics.push(...placeIssues(built.issues, this.source, offsetMapOf(mapped), rule));
      return undefined;
    }
    return { text, ast: built.ast, compiled: built.condition };
  }

  private durationOf(pairs: Map<string, Pair>, key: 'duration' | 'keep_firing_for', rule: string | undefined): number {
    const pair = pairs.get(key);
    if (pair === undefined) return 0;
    const node = pair.value;
    if (isScalar(node) && node.value === 0) return 0;
    const ms = isScalar(node) && typeof node.value === 'string' ? parseDuration(node.value) : undefined;
    if (ms === undefined) {
      this.error((node as Node | null) ?? (pair.key as Node), `invalid '${key}' ${describeNode(node)}: write a duration such as 30s, 5m or 1h30m`, rule);
      return 0;
    }
    return ms;
  }

  private severityOf(map: YAMLMap, pairs: Map<string, Pair>, rule: string | undefined): Severity | undefined {
    const pair = pairs.get('severity');
    if (pair === undefined) {
      this.error(map, `missing 'severity': set it to ${SEVERITY_CHOICES}`, rule);
      return undefined;
    }
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    if (typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)) return value as Severity;
    this.error((pair.value as Node | null) ?? (pair.key as Node), `invalid severity ${describeNode(pair.value)}: use ${SEVERITY_CHOICES}`, rule);
    return undefined;
  }

  private notifyOf(pairs: Map<string, Pair>, rule: string | undefined): string[] {
    const pair = pairs.get('notify');
    if (pair === undefined) return [];
    const node = pair.value;
    const items: unknown[] = isSeq(node) ? node.items : [node];
    const names: string[] = [];
    for (const item of items) {
      if (!isScalar(item) || typeof item.value !== 'string' || item.value === '') {
        this.error((item as Node | null) ?? (pair.key as Node), `'notify' must list receiver names, but found ${describeNode(item)}`, rule);
        continue;
      }
      if (!this.receivers.has(item.value)) {
        const suggestion = nearestName(item.value, this.receivers);
        const hint =
          suggestion !== undefined
            ? `: did you mean '${suggestion}'?`
            : this.receivers.size === 0
              ? ': no receivers are configured'
              : `: the receivers are ${[...this.receivers].sort().join(', ')}`;
        this.error(item, `unknown receiver '${item.value}'${hint}`, rule);
        continue;
      }
      names.push(item.value);
    }
    return names;
  }

  private stringMapOf(pairs: Map<string, Pair>, key: 'labels' | 'annotations', rule: string | undefined): Record<string, string> {
    const result: Record<string, string> = {};
    const pair = pairs.get(key);
    if (pair === undefined) return result;
    if (!isMap(pair.value)) {
      if (isScalar(pair.value) && pair.value.value === null) return result;
      this.error((pair.value as Node | null) ?? (pair.key as Node), `'${key}' must be a mapping of names to text, but found ${describeNode(pair.value)}`, rule);
      return result;
    }

    for (const entry of pair.value.items) {
      const name = isScalar(entry.key) ? entry.key.value : undefined;
      if (typeof name !== 'string') {
        this.error(entry.key as Node, `${key} names must be strings, but found ${describeNode(entry.key)}`, rule);
        continue;
      }
      if (key === 'labels' && !LABEL_NAME.test(name)) {
        this.error(entry.key as Node, `invalid label name '${name}': use letters, digits and '_', not starting with a digit`, rule);
        continue;
      }
      if (key === 'labels' && ENGINE_LABELS.has(name)) {
        this.error(entry.key as Node, `label '${name}' is set by the engine on every alert; choose another name`, rule);
        continue;
      }
      const value = entry.value;
      if (!isScalar(value) || value.value === null || typeof value.value === 'object') {
        this.error((value as Node | null) ?? (entry.key as Node), `${key === 'labels' ? 'label' : 'annotation'} '${name}' must be text, but found ${describeNode(value)}`, rule);
        continue;
      }
      const text = typeof value.value === 'string' ? value.value : String(value.value);
      const issues = checkTemplate(text);
      if (issues.length > 0) {
        const mapped = mapScalar(value, text);
        this.diagnostics.push(...placeIssues(issues, this.source, offsetMapOf(mapped), rule));
        continue;
      }
      result[name] = text;
    }
    return result;
  }
}
