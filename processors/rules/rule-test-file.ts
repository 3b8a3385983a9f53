import { dirname, join } from 'node:path';
import { isMap, isScalar, isSeq, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { placeIssues, SourceFile, sortDiagnostics, type Diagnostic, type Issue } from '../../grammar/diagnostics.js';
import { nearestName } from '../../grammar/functions.js';
import { parseCondition } from '../../grammar/parse.js';
import { parseRuleDocument, yamlErrorDiagnostics } from '../../grammar/rule-file.js';
import { mapScalar, offsetMapOf } from '../../grammar/yaml-scalar.js';
import { formatDuration, parseDuration } from '../../pipeline/config/duration.js';
import { LABEL_NAME, METRIC_NAME } from '../../pipeline/messages/metric-batch.js';
import { parseSeriesValues } from './series-values.js';

/**
 * Rule unit-test files: YAML modelled on Prometheus' promtool test files.
 * This module parses and checks them; rule-test.ts runs them.
 *
 * ```yaml
 * rule_files: [high-cpu.yml]
 * tests:
 *   - name: HighCPU fires after three minutes
 *     interval: 10s
 *     input_series:
 *       - { agent: web-1, metric: cpu_usage, values: '50 95x20' }
 *     alert_rule_test:
 *       - eval_time: 3m10s
 *         alertname: HighCPU
 *         exp_alerts:
 *           - exp_labels: { agent: web-1, severity: critical }
 * ```
 */

/** Spacing of input samples when a test sets no `interval`, as promtool's default evaluation interval. */
export const DEFAULT_INTERVAL_MS = 60_000;

/**
 * Maximum number of interval steps from a test's start to its last
 * eval_time. The runner sets a ManualClock at every step, which yields to
 * the event loop several times, so this bound keeps a mistyped eval_time
 * (a week in 1s steps) from running for minutes.
 */
export const MAX_STEPS = 100_000;

/** Offsets of a piece of the test file, `end` exclusive. */
export interface SourceSpan {
  start: number;
  end: number;
}

export interface RuleTestFile {
  source: SourceFile;
  /** Rule files and directories, resolved against the test file's directory, with where each is named. */
  ruleFiles: Array<{ path: string; span: SourceSpan }>;
  tests: RuleTestCase[];
}

export interface RuleTestCase {
  name: string;
  /** 1-based line of the test's `name`. */
  line: number;
  /** Time between consecutive samples of a series, in milliseconds. */
  intervalMs: number;
  series: InputSeries[];
  /** Tags of each agent, gathered from its series; every batch of the agent carries them. */
  tags: Map<string, Record<string, string>>;
  checks: AlertCheck[];
}

export interface InputSeries {
  agent: string;
  metric: string;
  labels: Record<string, string>;
  /** Sample values by interval step from the test's start; null where a step has no sample. */
  values: Array<number | null>;
}

export type ExpectedState = 'firing' | 'pending';

export interface ExpectedAlert {
  /** Labels the alert must carry (its `severity` counts as a label); others are not compared. */
  labels: Record<string, string>;
  /** Annotations the alert must carry; others are not compared. */
  annotations: Record<string, string>;
  state: ExpectedState;
  /** 1-based line of the expected alert in the test file. */
  line: number;
}

export interface AlertCheck {
  /** Time since the test's start, in milliseconds. */
  evalTimeMs: number;
  alertname: string;
  alertnameSpan: SourceSpan;
  /** 1-based line and column of the check's first key. */
  line: number;
  column: number;
  expected: ExpectedAlert[];
}

export interface RuleTestParseResult {
  /** The parsed file, present when `diagnostics` is empty. */
  testFile?: RuleTestFile;
  diagnostics: Diagnostic[];
}

const TOP_KEYS = ['rule_files', 'tests'];
const TEST_KEYS = ['name', 'interval', 'input_series', 'alert_rule_test'];
const SERIES_KEYS = ['agent', 'tags', 'metric', 'series', 'labels', 'values'];
const CHECK_KEYS = ['eval_time', 'alertname', 'exp_alerts'];
const ALERT_KEYS = ['exp_labels', 'exp_annotations', 'exp_state'];
const EXPECTED_STATES: readonly ExpectedState[] = ['firing', 'pending'];

/** Keys of promtool test files that have no counterpart here, with the reason. */
const PROMTOOL_KEYS: Record<string, string> = {
  evaluation_interval: "rules are evaluated on every sample, so set the spacing of samples with 'interval' in each test",
  group_eval_order: 'every rule sees every sample, so the order of groups does not matter',
  fuzzy_compare: 'values are not compared, only alert labels, annotations and states',
  promql_expr_test: "rules are tested through their alerts, in 'alert_rule_test'",
  external_labels: 'rule templates have no external labels',
  external_url: 'rule templates have no external URL',
  start_timestamp: 'every test starts at the same fixed time',
};

/** Parses and checks the text of a rule test file. `file` names it in diagnostics and anchors its `rule_files`. */
export function parseRuleTestText(text: string, file: string): RuleTestParseResult {
  const loader = new TestFileLoader(new SourceFile(file, text));
  const testFile = loader.load(parseRuleDocument(text));
  if (loader.diagnostics.length > 0 || testFile === undefined) return { diagnostics: sortDiagnostics(loader.diagnostics) };
  return { testFile, diagnostics: [] };
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

/** Text of a scalar as written: strings as they are, plain numbers and booleans by their source text. */
function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  if (typeof node.value !== 'number' && typeof node.value !== 'boolean') return undefined;
  const token = node.srcToken;
  if (node.type === 'PLAIN' && token !== undefined && 'source' in token) return token.source;
  return String(node.value);
}

function isEmpty(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

class TestFileLoader {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly source: SourceFile) {}

  private error(node: unknown, message: string): void {
    const range = (node as Node | null | undefined)?.range ?? [0, 0, 0];
    this.diagnostics.push(this.source.diagnostic(message, range[0], range[1]));
  }

  /** Picks the node that a problem with a pair's value points at: the value, or the key when the value is not written. */
  private valueNode(pair: Pair): unknown {
    const range = (pair.value as Node | null)?.range;
    return range !== undefined && range !== null && range[1] > range[0] ? pair.value : pair.key;
  }

  load(document: Document.Parsed): RuleTestFile | undefined {
    const yamlErrors = yamlErrorDiagnostics(document, this.source);
    if (yamlErrors.length > 0) {
      this.diagnostics.push(...yamlErrors);
      return undefined;
    }

    const root = document.contents;
    if (!isMap(root)) {
      const message = `a rule test file is a mapping with 'rule_files' and 'tests', but this file contains ${describeNode(root)}`;
      if (root === null) this.diagnostics.push(this.source.fileDiagnostic(message));
      else this.error(root, message);
      return undefined;
    }

    const pairs = this.pairsOf(root, TOP_KEYS);
    const ruleFiles = this.ruleFilesOf(root, pairs.get('rule_files'));
    const tests = this.testsOf(root, pairs.get('tests'));
    return { source: this.source, ruleFiles, tests };
  }

  /** Collects a mapping's pairs by key, reporting keys outside `allowed`. */
  private pairsOf(map: YAMLMap, allowed: readonly string[]): Map<string, Pair> {
    const pairs = new Map<string, Pair>();
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== 'string') {
        this.error(pair.key, `keys must be plain names, but found ${describeNode(pair.key)}`);
        continue;
      }
      if (!allowed.includes(key)) {
        this.error(pair.key, this.unknownKeyMessage(key, allowed));
        continue;
      }
      pairs.set(key, pair);
    }
    return pairs;
  }

  private unknownKeyMessage(key: string, allowed: readonly string[]): string {
    const promtool = PROMTOOL_KEYS[key];
    if (promtool !== undefined) return `'${key}' is not supported: ${promtool}`;
    const suggestion = nearestName(key, allowed);
    if (suggestion !== undefined) return `unknown key '${key}': did you mean '${suggestion}'?`;
    return `unknown key '${key}': the keys here are ${allowed.join(', ')}`;
  }

  private requiredString(map: YAMLMap, pair: Pair | undefined, key: string, hint: string): { value: string; node: Scalar } | undefined {
    if (pair === undefined) {
      this.error(map, `missing '${key}': ${hint}`);
      return undefined;
    }
    const text = scalarText(pair.value);
    if (text === undefined || text.trim() === '') {
      this.error(this.valueNode(pair), `'${key}' must be a non-empty string, but found ${describeNode(pair.value)}`);
      return undefined;
    }
    return { value: text, node: pair.value as Scalar };
  }

  private listOf(pair: Pair, key: string, itemsDescription: string): unknown[] | undefined {
    if (isEmpty(pair.value)) return [];
    if (!isSeq(pair.value)) {
      this.error(this.valueNode(pair), `'${key}' must be a list of ${itemsDescription}, but found ${describeNode(pair.value)}`);
      return undefined;
    }
    return pair.value.items;
  }

  private ruleFilesOf(root: YAMLMap, pair: Pair | undefined): RuleTestFile['ruleFiles'] {
    if (pair === undefined) {
      this.error(root, "missing 'rule_files': list the rule files to test, relative to this file");
      return [];
    }
    // One file may be written without the list.
    const items = isScalar(pair.value) && typeof pair.value.value === 'string' ? [pair.value] : this.listOf(pair, 'rule_files', 'file names');
    if (items === undefined) return [];
    if (items.length === 0) {
      this.error(this.valueNode(pair), "'rule_files' is empty: list the rule files to test, relative to this file");
      return [];
    }

    const directory = dirname(this.source.name);
    const files: RuleTestFile['ruleFiles'] = [];
    for (const item of items) {
      const name = scalarText(item);
      if (name === undefined || name.trim() === '') {
        this.error(item, `'rule_files' must list file names, but found ${describeNode(item)}`);
        continue;
      }
      const range = (item as Scalar).range ?? [0, 0, 0];
      files.push({ path: join(directory, name), span: { start: range[0], end: range[1] } });
    }
    return files;
  }

  private testsOf(root: YAMLMap, pair: Pair | undefined): RuleTestCase[] {
    if (pair === undefined) {
      this.error(root, "missing 'tests': add a list of tests, each with 'input_series' and 'alert_rule_test'");
      return [];
    }
    const items = this.listOf(pair, 'tests', 'tests');
    if (items === undefined) return [];
    if (items.length === 0) {
      this.error(this.valueNode(pair), "'tests' is empty: add a test with 'input_series' and 'alert_rule_test'");
      return [];
    }

    const tests: RuleTestCase[] = [];
    for (const item of items) {
      if (!isMap(item)) {
        this.error(item, `a test must be a mapping with 'name', 'input_series' and 'alert_rule_test', but found ${describeNode(item)}`);
        continue;
      }
      const test = this.testOf(item);
      if (test !== undefined) tests.push(test);
    }
    return tests;
  }

  private testOf(map: YAMLMap): RuleTestCase | undefined {
    const before = this.diagnostics.length;
    const pairs = this.pairsOf(map, TEST_KEYS);
    const name = this.requiredString(map, pairs.get('name'), 'name', 'name the test, as in name: HighCPU fires after three minutes');

    const intervalPair = pairs.get('interval');
    let intervalMs = DEFAULT_INTERVAL_MS;
    if (intervalPair !== undefined) {
      const parsed = this.durationOf(intervalPair, 'interval');
      if (parsed === 0) this.error(this.valueNode(intervalPair), "'interval' must be longer than zero");
      else if (parsed !== undefined) intervalMs = parsed;
    }

    const seriesPair = pairs.get('input_series');
    const seriesItems = seriesPair === undefined ? [] : (this.listOf(seriesPair, 'input_series', 'series') ?? []);
    const { series, tags } = this.seriesOf(seriesItems);

    // A test without checks would pass whatever the rules do.
    const checksPair = pairs.get('alert_rule_test');
    const checkItems = checksPair === undefined ? [] : this.listOf(checksPair, 'alert_rule_test', 'alert checks');
    if (checkItems !== undefined && checkItems.length === 0) {
      this.error(checksPair === undefined ? map : this.valueNode(checksPair), `test '${name?.value ?? '?'}' has no 'alert_rule_test': add the alerts to expect at each eval_time`);
    }
    const checks = this.checksOf(checkItems ?? [], intervalMs);

    if (this.diagnostics.length > before || name === undefined) return undefined;
    return { name: name.value, line: this.source.position(name.node.range?.[0] ?? 0).line, intervalMs, series, tags, checks };
  }

  /** Reads a duration in milliseconds, or reports an error and returns undefined when the value is not one. */
  private durationOf(pair: Pair, key: string): number | undefined {
    const node = pair.value;
    if (isScalar(node) && node.value === 0) return 0;
    const ms = isScalar(node) && typeof node.value === 'string' ? parseDuration(node.value) : undefined;
    if (ms === undefined) {
      this.error(this.valueNode(pair), `invalid '${key}' ${describeNode(node)}: write a duration such as 30s, 5m or 1h30m`);
    }
    return ms;
  }

  private seriesOf(items: readonly unknown[]): { series: InputSeries[]; tags: Map<string, Record<string, string>> } {
    const series: InputSeries[] = [];
    const tags = new Map<string, Record<string, string>>();
    /** Line of the series that set each tag of each agent, for messages about conflicts. */
    const tagLines = new Map<string, Map<string, number>>();
    const seen = new Map<string, number>();

    for (const item of items) {
      if (!isMap(item)) {
        this.error(item, `a series must be a mapping with 'agent', 'metric' and 'values', but found ${describeNode(item)}`);
        continue;
      }
      const before = this.diagnostics.length;
      const pairs = this.pairsOf(item, SERIES_KEYS);
      const agent = this.requiredString(item, pairs.get('agent'), 'agent', 'name the agent that reports the series, as in agent: web-1');
      const selector = this.selectorOf(item, pairs);
      const seriesTags = this.stringMapOf(pairs.get('tags'), 'tags', true);
      const values = this.valuesOf(item, pairs.get('values'));
      if (this.diagnostics.length > before || agent === undefined || selector === undefined || values === undefined) continue;

      const line = this.source.position(item.range?.[0] ?? 0).line;
      const key = `${agent.value}\u0000${seriesText(selector.metric, selector.labels)}`;
      const first = seen.get(key);
      if (first !== undefined) {
        this.error(item, `duplicate series ${seriesText(selector.metric, selector.labels)} of agent '${agent.value}': first given on line ${first}`);
        continue;
      }
      seen.set(key, line);

      // Tags belong to the agent, so every series of one agent must agree on them.
      const known = tags.get(agent.value) ?? {};
      const lines = tagLines.get(agent.value) ?? new Map<string, number>();
      tags.set(agent.value, known);
      tagLines.set(agent.value, lines);
      for (const [tag, value] of Object.entries(seriesTags)) {
        const earlier = known[tag];
        if (earlier !== undefined && earlier !== value) {
          this.error(pairs.get('tags')!.value, `tag '${tag}' of agent '${agent.value}' is ${JSON.stringify(earlier)} on line ${lines.get(tag)}: tags belong to the agent, so give each tag one value`);
          continue;
        }
        known[tag] = value;
        lines.set(tag, line);
      }

      series.push({ agent: agent.value, metric: selector.metric, labels: selector.labels, values });
    }
    return { series, tags };
  }

  /** The metric and labels of a series, from `metric` and `labels` or from `series`. */
  private selectorOf(map: YAMLMap, pairs: Map<string, Pair>): { metric: string; labels: Record<string, string> } | undefined {
    const metricPair = pairs.get('metric');
    const seriesPair = pairs.get('series');
    const labelsPair = pairs.get('labels');

    if (metricPair !== undefined && seriesPair !== undefined) {
      this.error(seriesPair.key, "give either 'metric' (with 'labels') or 'series', not both");
      return undefined;
    }
    if (seriesPair !== undefined) {
      if (labelsPair !== undefined) {
        this.error(labelsPair.key, `'labels' cannot be combined with 'series': write the labels inside the series, as in disk_used_pct{mount="/"}`);
        return undefined;
      }
      return this.seriesNotationOf(seriesPair);
    }

    const metric = this.requiredString(map, metricPair, 'metric', `name the metric, as in metric: cpu_usage, or write series: 'disk_used_pct{mount="/"}'`);
    const labels = this.stringMapOf(labelsPair, 'labels', true);
    if (metric === undefined) return undefined;
    if (!METRIC_NAME.test(metric.value)) {
      this.error(metric.node, `invalid metric name ${JSON.stringify(metric.value)}: use letters, digits, '_' and ':', not starting with a digit`);
      return undefined;
    }
    return { metric: metric.value, labels };
  }

  /** Parses `series: 'metric{label="value", ...}'` with the condition parser, which parses selectors. */
  private seriesNotationOf(pair: Pair): { metric: string; labels: Record<string, string> } | undefined {
    const node = pair.value;
    const text = isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
    if (text === undefined || text.trim() === '') {
      this.error(this.valueNode(pair), `'series' must be a metric with labels, such as 'disk_used_pct{mount="/"}', but found ${describeNode(node)}`);
      return undefined;
    }

    const map = offsetMapOf(mapScalar(node as Scalar, text));
    const place = (issues: Issue[]): undefined => {
      this.diagnostics.push(...placeIssues(issues, this.source, map));
      return undefined;
    };
    const parsed = parseCondition(text);
    if (parsed.ast === undefined) return place(parsed.issues);
    const ast = parsed.ast;
    if (ast.kind !== 'selector') {
      return place([{ message: `'series' must be a metric with labels, such as disk_used_pct{mount="/"}, but found '${text.trim()}'`, start: ast.loc.start.offset, end: ast.loc.end.offset }]);
    }

    const labels: Record<string, string> = {};
    const issues: Issue[] = [];
    for (const matcher of ast.matchers) {
      if (matcher.op !== '=') {
        issues.push({ message: `a series has labels, not matchers: write ${matcher.label}="..." with '=', not '${matcher.op}'`, start: matcher.loc.start.offset, end: matcher.loc.end.offset });
      } else if (Object.hasOwn(labels, matcher.label)) {
        issues.push({ message: `duplicate label '${matcher.label}'`, start: matcher.labelLoc.start.offset, end: matcher.labelLoc.end.offset });
      } else {
        labels[matcher.label] = matcher.value;
      }
    }
    if (issues.length > 0) return place(issues);
    return { metric: ast.metric, labels };
  }

  private valuesOf(map: YAMLMap, pair: Pair | undefined): Array<number | null> | undefined {
    if (pair === undefined) {
      this.error(map, "missing 'values': write the samples, as in values: '50 95x20 40'");
      return undefined;
    }
    const node = pair.value;
    const text = scalarText(node);
    if (text === undefined) {
      this.error(this.valueNode(pair), `'values' must be a string of samples, such as '50 95x20 40', but found ${describeNode(node)}`);
      return undefined;
    }
    const parsed = parseSeriesValues(text);
    if (parsed.values === undefined) {
      this.diagnostics.push(...placeIssues(parsed.issues, this.source, offsetMapOf(mapScalar(node as Scalar, text))));
      return undefined;
    }
    return parsed.values;
  }

  /**
   * Reads a mapping of names to text, such as tags, labels or annotations.
   * `labelNames` requires names that are valid label names.
   */
  private stringMapOf(pair: Pair | undefined, key: string, labelNames: boolean): Record<string, string> {
    const result: Record<string, string> = {};
    if (pair === undefined || isEmpty(pair.value)) return result;
    if (!isMap(pair.value)) {
      this.error(this.valueNode(pair), `'${key}' must be a mapping of names to text, but found ${describeNode(pair.value)}`);
      return result;
    }

    for (const entry of pair.value.items) {
      const name = isScalar(entry.key) ? entry.key.value : undefined;
      if (typeof name !== 'string') {
        this.error(entry.key, `the names in '${key}' must be strings, but found ${describeNode(entry.key)}`);
        continue;
      }
      if (labelNames && !LABEL_NAME.test(name)) {
        this.error(entry.key, `invalid name '${name}' in '${key}': use letters, digits and '_', not starting with a digit`);
        continue;
      }
      const text = scalarText(entry.value);
      if (text === undefined) {
        this.error(isEmpty(entry.value) ? entry.key : entry.value, `'${name}' in '${key}' must be text, but found ${describeNode(entry.value)}`);
        continue;
      }
      result[name] = text;
    }
    return result;
  }

  private checksOf(items: readonly unknown[], intervalMs: number): AlertCheck[] {
    const checks: AlertCheck[] = [];
    for (const item of items) {
      if (!isMap(item)) {
        this.error(item, `an alert check must be a mapping with 'eval_time', 'alertname' and 'exp_alerts', but found ${describeNode(item)}`);
        continue;
      }
      const before = this.diagnostics.length;
      const pairs = this.pairsOf(item, CHECK_KEYS);

      const evalPair = pairs.get('eval_time');
      let evalTimeMs: number | undefined;
      if (evalPair === undefined) {
        this.error(item, "missing 'eval_time': the time since the test's start at which to check, as in eval_time: 5m");
      } else {
        evalTimeMs = this.durationOf(evalPair, 'eval_time');
        if (evalTimeMs !== undefined && evalTimeMs / intervalMs > MAX_STEPS) {
          this.error(evalPair.value, `eval_time ${formatDuration(evalTimeMs)} is more than ${MAX_STEPS} steps of the interval ${formatDuration(intervalMs)}: raise 'interval' or check an earlier time`);
        }
      }
      const alertname = this.requiredString(item, pairs.get('alertname'), 'alertname', 'name the rule whose alerts to check, as in alertname: HighCPU');
      const expectedPair = pairs.get('exp_alerts');
      const expected = expectedPair === undefined ? [] : this.expectedAlertsOf(this.listOf(expectedPair, 'exp_alerts', 'expected alerts') ?? []);

      if (this.diagnostics.length > before || evalTimeMs === undefined || alertname === undefined) continue;
      const range = alertname.node.range ?? [0, 0, 0];
      const position = this.source.position(item.range?.[0] ?? 0);
      checks.push({
        evalTimeMs,
        alertname: alertname.value,
        alertnameSpan: { start: range[0], end: range[1] },
        line: position.line,
        column: position.column,
        expected,
      });
    }
    return checks;
  }

  private expectedAlertsOf(items: readonly unknown[]): ExpectedAlert[] {
    const alerts: ExpectedAlert[] = [];
    for (const item of items) {
      if (!isMap(item)) {
        this.error(item, `an expected alert must be a mapping with 'exp_labels' and optionally 'exp_annotations' and 'exp_state', but found ${describeNode(item)}`);
        continue;
      }
      const pairs = this.pairsOf(item, ALERT_KEYS);
      const labels = this.stringMapOf(pairs.get('exp_labels'), 'exp_labels', true);
      const annotations = this.stringMapOf(pairs.get('exp_annotations'), 'exp_annotations', false);

      let state: ExpectedState = 'firing';
      const statePair = pairs.get('exp_state');
      if (statePair !== undefined) {
        const text = scalarText(statePair.value);
        if (text !== undefined && (EXPECTED_STATES as readonly string[]).includes(text)) {
          state = text as ExpectedState;
        } else {
          const resolved = text === 'resolved' || text === 'inactive' ? `; an alert that is ${text} is not listed, so expect none with exp_alerts: []` : '';
          this.error(this.valueNode(statePair), `invalid exp_state ${describeNode(statePair.value)}: use firing or pending${resolved}`);
        }
      }
      alerts.push({ labels, annotations, state, line: this.source.position(item.range?.[0] ?? 0).line });
    }
    return alerts;
  }
}

/** Formats a series in Prometheus notation, `metric{label="value", ...}`, with labels in key order. */
export function seriesText(metric: string, labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return metric;
  return `${metric}{${names.map((name) => `${name}=${JSON.stringify(labels[name])}`).join(', ')}}`;
}
