import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { isScalar, isSeq, parseDocument, visit } from 'yaml';
import { SourceFile, type Diagnostic } from '../../grammar/diagnostics.js';
import { nearestName } from '../../grammar/functions.js';
import { checkRuleFiles, isRuleFileName, type Rule } from '../../grammar/rule-file.js';
import { ManualClock } from '../../pipeline/clock/index.js';
import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import type { Sample } from '../../pipeline/messages/metric-batch.js';
import { RuleEngine } from './engine.js';
import { toRuntimeRule } from './runtime-rule.js';
import { type AlertCheck, type ExpectedAlert, type ExpectedState, parseRuleTestText, type RuleTestCase } from './rule-test-file.js';

/**
 * Runs rule unit-test files (format in rule-test-file.ts and docs/rules.md)
 * against a fresh RuleEngine per test and returns structured results;
 * `fleetpulse rules test` prints them.
 *
 * ```ts
 * const result = await runRuleTestFile('rules/high-cpu.test.yml');
 * const failed = result.diagnostics.length > 0 || result.tests.some((test) => !test.passed);
 * ```
 */

/** Event time of a test's start (2026-01-01T00:00:00Z); eval_time and sample times count from it. */
export const TEST_START_MS = Date.UTC(2026, 0, 1);

export interface RuleTestOptions {
  /** Receiver names that rules may notify; any name when undefined, as when no configuration is given. */
  receivers?: Iterable<string>;
  /** Maximum window length a rule may read, in milliseconds; the grammar's default when undefined. */
  maxWindowMs?: number;
}

export interface RuleTestFileResult {
  file: string;
  /** Problems in the test file or its rule files; when there are any, no test ran. */
  diagnostics: Diagnostic[];
  tests: RuleTestResult[];
}

export interface RuleTestResult {
  name: string;
  /** 1-based line of the test's name in the test file. */
  line: number;
  passed: boolean;
  /** One result per entry of `alert_rule_test`, in file order. */
  checks: AlertCheckResult[];
}

export interface AlertCheckResult {
  evalTimeMs: number;
  alertname: string;
  /** 1-based line and column of the check in the test file. */
  line: number;
  column: number;
  passed: boolean;
  /** Expected alerts that no alert matches, or comes close to. */
  missing: ExpectedAlert[];
  /** Alerts that no expected alert matches, or comes close to. */
  unexpected: ActualAlert[];
  /** Expected alerts paired with the closest alert, and the fields in which they differ. */
  mismatched: AlertMismatch[];
  /** Pending alerts that were not compared because no expected alert of the check has `exp_state: pending`. */
  uncomparedPending: ActualAlert[];
}

/** An alert of the engine at an eval_time, as a test compares it. */
export interface ActualAlert {
  /** The alert's labels plus `severity`. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: ExpectedState;
  value: number;
  /** When the condition started to hold in this episode, in milliseconds since the test's start. */
  activeAtMs: number;
}

export interface AlertMismatch {
  expected: ExpectedAlert;
  actual: ActualAlert;
  differences: FieldDifference[];
}

/** One field in which an alert differs from what was expected: `labels.NAME`, `annotations.NAME` or `state`. */
export interface FieldDifference {
  field: string;
  /** undefined when the field was not expected (never for labels and annotations, which are compared only when expected). */
  expected: string | undefined;
  /** undefined when the alert lacks the field. */
  actual: string | undefined;
}

/** Reads a rule test file, loads its rule files and runs every test in it. */
export async function runRuleTestFile(path: string, options: RuleTestOptions = {}): Promise<RuleTestFileResult> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { file: path, diagnostics: [new SourceFile(path, '').fileDiagnostic(`failed to read the test file: ${(error as Error).message}`)], tests: [] };
  }

  const parsed = parseRuleTestText(text, path);
  if (parsed.testFile === undefined) return { file: path, diagnostics: parsed.diagnostics, tests: [] };
  const { source, ruleFiles, tests } = parsed.testFile;

  const diagnostics: Diagnostic[] = [];
  for (const ruleFile of ruleFiles) {
    try {
      statSync(ruleFile.path);
    } catch {
      diagnostics.push(source.diagnostic(`rule file not found: ${ruleFile.path}`, ruleFile.span.start, ruleFile.span.end));
    }
  }
  if (diagnostics.length > 0) return { file: path, diagnostics, tests: [] };

  const paths = ruleFiles.map((ruleFile) => ruleFile.path);
  const receivers = options.receivers ?? receiversNamedIn(paths);
  const loaded = checkRuleFiles(paths, { receivers, maxWindowMs: options.maxWindowMs });
  if (!loaded.ok) return { file: path, diagnostics: loaded.diagnostics, tests: [] };

  // An alertname that names no rule would make `exp_alerts: []` pass whatever the rules do.
  const names = loaded.rules.map((rule) => rule.name);
  for (const test of tests) {
    for (const check of test.checks) {
      if (names.includes(check.alertname)) continue;
      const suggestion = nearestName(check.alertname, names);
      let hint = `: did you mean '${suggestion}'?`;
      if (suggestion === undefined) hint = names.length === 0 ? ': the rule files define no rules' : `: the rules are ${names.join(', ')}`;
      diagnostics.push(source.diagnostic(`no rule named '${check.alertname}' in the rule files${hint}`, check.alertnameSpan.start, check.alertnameSpan.end));
    }
  }
  if (diagnostics.length > 0) return { file: path, diagnostics, tests: [] };

  const results: RuleTestResult[] = [];
  for (const test of tests) results.push(await runRuleTest(test, loaded.rules));
  return { file: path, diagnostics: [], tests: results };
}

/**
 * Runs one test on a fresh engine. Time walks from the test's start to its
 * last eval_time through every sample time and every eval_time, and through
 * every interval step when a rule reads absent(). At each of those times
 * the clock is set, the samples of that time are observed (one batch per
 * agent, received at the sample time), and tick() evaluates absent(), so a
 * silent agent is noticed between samples. Each check of that time then
 * compares the alerts of its alertname with the expected ones.
 */
export async function runRuleTest(test: RuleTestCase, rules: readonly Rule[]): Promise<RuleTestResult> {
  const clock = new ManualClock(TEST_START_MS);
  // Samples arrive in time order, so no lateness is needed.
  const engine = new RuleEngine(rules, { allowedLatenessMs: 0, clock });
  const endMs = test.checks.reduce((latest, check) => Math.max(latest, check.evalTimeMs), 0);

  const batches = samplesByTime(test, endMs);
  const times = new Set<number>(batches.keys());
  // tick() changes nothing unless a rule reads absent(), and each clock step
  // costs a few event-loop turns, so the interval steps are walked only then.
  if (rules.some((rule) => toRuntimeRule(rule).readsAbsent)) {
    for (let step = 0; step <= endMs; step += test.intervalMs) times.add(step);
  }
  const checksByTime = new Map<number, number[]>();
  test.checks.forEach((check, index) => {
    times.add(check.evalTimeMs);
    checksByTime.set(check.evalTimeMs, [...(checksByTime.get(check.evalTimeMs) ?? []), index]);
  });

  /** The latest transition of every alert, by fingerprint. */
  const latest = new Map<string, AlertEvent>();
  const record = (events: readonly AlertEvent[]): void => {
    for (const event of events) latest.set(event.fingerprint, event);
  };

  const checks: AlertCheckResult[] = new Array<AlertCheckResult>(test.checks.length);
  for (const time of [...times].sort((a, b) => a - b)) {
    const now = TEST_START_MS + time;
    await clock.set(now);
    for (const [agentId, samples] of batches.get(time) ?? []) {
      record(engine.observe({ version: 1, agentId, tags: test.tags.get(agentId) ?? {}, receivedAt: now, samples }));
    }
    record(engine.tick());
    for (const index of checksByTime.get(time) ?? []) checks[index] = evaluateCheck(test.checks[index]!, latest.values());
  }

  return { name: test.name, line: test.line, passed: checks.every((check) => check.passed), checks };
}

/** Groups the samples of every series up to `endMs` by time since the test's start, then by agent. */
function samplesByTime(test: RuleTestCase, endMs: number): Map<number, Map<string, Sample[]>> {
  const batches = new Map<number, Map<string, Sample[]>>();
  for (const series of test.series) {
    for (let step = 0; step < series.values.length; step++) {
      const value = series.values[step];
      const time = step * test.intervalMs;
      if (time > endMs) break;
      if (value === null || value === undefined) continue;

      const agents = batches.get(time) ?? new Map<string, Sample[]>();
      batches.set(time, agents);
      const samples = agents.get(series.agent) ?? [];
      agents.set(series.agent, samples);
      samples.push({ metric: series.metric, value, ts: TEST_START_MS + time, labels: series.labels });
    }
  }
  return batches;
}

/**
 * Compares the alerts of a check's alertname with the expected ones. Firing
 * alerts are always compared; pending ones only when an expected alert of
 * the check has `exp_state: pending`.
 */
function evaluateCheck(check: AlertCheck, alerts: Iterable<AlertEvent>): AlertCheckResult {
  const states = new Set<string>(['firing']);
  if (check.expected.some((alert) => alert.state === 'pending')) states.add('pending');

  const actual: ActualAlert[] = [];
  const uncomparedPending: ActualAlert[] = [];
  for (const event of alerts) {
    if (event.rule !== check.alertname || (event.state !== 'firing' && event.state !== 'pending')) continue;
    const alert: ActualAlert = {
      labels: { severity: event.severity, ...event.labels },
      annotations: event.annotations,
      state: event.state,
      value: event.value,
      activeAtMs: event.activeAt - TEST_START_MS,
    };
    if (states.has(event.state)) actual.push(alert);
    else uncomparedPending.push(alert);
  }

  const comparison = compareAlerts(check.expected, actual);
  const passed = comparison.missing.length === 0 && comparison.unexpected.length === 0 && comparison.mismatched.length === 0;
  return { evalTimeMs: check.evalTimeMs, alertname: check.alertname, line: check.line, column: check.column, passed, ...comparison, uncomparedPending };
}

/**
 * Matches expected alerts with actual ones, regardless of order, in three
 * rounds over what the previous rounds left:
 *
 * 1. equal: labels and annotations as expected (the expected ones as a
 *    subset) and the same state;
 * 2. same alert, other fields: labels as expected, but annotations or state
 *    differ;
 * 3. closest: the pair that agrees on the most expected labels and
 *    annotations, when it agrees on at least one besides `alertname`.
 *
 * Rounds 1 and 2 find a maximum matching, so one loosely written expected
 * alert cannot take the alert that another one needs.
 */
export function compareAlerts(expected: readonly ExpectedAlert[], actual: readonly ActualAlert[]): Pick<AlertCheckResult, 'missing' | 'unexpected' | 'mismatched'> {
  let freeExpected = expected.map((_, index) => index);
  let freeActual = actual.map((_, index) => index);
  const mismatched: AlertMismatch[] = [];

  const equal = maximumMatching(freeExpected, freeActual, (e, a) => differencesOf(expected[e]!, actual[a]!).length === 0);
  freeExpected = freeExpected.filter((e) => !equal.has(e));
  const equalActual = new Set(equal.values());
  freeActual = freeActual.filter((a) => !equalActual.has(a));

  const sameAlert = maximumMatching(freeExpected, freeActual, (e, a) => labelsMatch(expected[e]!, actual[a]!));
  for (const [e, a] of sameAlert) mismatched.push({ expected: expected[e]!, actual: actual[a]!, differences: differencesOf(expected[e]!, actual[a]!) });
  freeExpected = freeExpected.filter((e) => !sameAlert.has(e));
  const sameActual = new Set(sameAlert.values());
  freeActual = freeActual.filter((a) => !sameActual.has(a));

  // Greedy by agreement: the closest pairs first.
  const candidates: Array<{ e: number; a: number; score: number }> = [];
  for (const e of freeExpected) {
    for (const a of freeActual) {
      const score = agreement(expected[e]!, actual[a]!);
      if (score > 0) candidates.push({ e, a, score });
    }
  }
  candidates.sort((left, right) => right.score - left.score || left.e - right.e || left.a - right.a);
  const pairedExpected = new Set<number>();
  const pairedActual = new Set<number>();
  for (const { e, a } of candidates) {
    if (pairedExpected.has(e) || pairedActual.has(a)) continue;
    pairedExpected.add(e);
    pairedActual.add(a);
    mismatched.push({ expected: expected[e]!, actual: actual[a]!, differences: differencesOf(expected[e]!, actual[a]!) });
  }

  mismatched.sort((left, right) => expected.indexOf(left.expected) - expected.indexOf(right.expected));
  return {
    missing: freeExpected.filter((e) => !pairedExpected.has(e)).map((e) => expected[e]!),
    unexpected: freeActual.filter((a) => !pairedActual.has(a)).map((a) => actual[a]!),
    mismatched,
  };
}

function labelsMatch(expected: ExpectedAlert, actual: ActualAlert): boolean {
  return Object.entries(expected.labels).every(([name, value]) => actual.labels[name] === value);
}

/** Lists the expected labels, annotations and state in which an alert differs. */
function differencesOf(expected: ExpectedAlert, actual: ActualAlert): FieldDifference[] {
  const differences: FieldDifference[] = [];
  for (const [name, value] of Object.entries(expected.labels)) {
    if (actual.labels[name] !== value) differences.push({ field: `labels.${name}`, expected: value, actual: actual.labels[name] });
  }
  for (const [name, value] of Object.entries(expected.annotations)) {
    if (actual.annotations[name] !== value) differences.push({ field: `annotations.${name}`, expected: value, actual: actual.annotations[name] });
  }
  if (expected.state !== actual.state) differences.push({ field: 'state', expected: expected.state, actual: actual.state });
  return differences;
}

/** Counts the expected labels (other than alertname) and annotations that an alert agrees with. */
function agreement(expected: ExpectedAlert, actual: ActualAlert): number {
  let score = 0;
  for (const [name, value] of Object.entries(expected.labels)) if (name !== 'alertname' && actual.labels[name] === value) score++;
  for (const [name, value] of Object.entries(expected.annotations)) if (actual.annotations[name] === value) score++;
  return score;
}

/**
 * Finds a maximum bipartite matching by augmenting paths (Kuhn's
 * algorithm), in time quadratic in the number of alerts of one check.
 * Returns the matched pairs as expected index → actual index.
 */
function maximumMatching(left: readonly number[], right: readonly number[], fits: (left: number, right: number) => boolean): Map<number, number> {
  const owner = new Map<number, number>();

  const augment = (l: number, visited: Set<number>): boolean => {
    for (const r of right) {
      if (visited.has(r) || !fits(l, r)) continue;
      visited.add(r);
      const current = owner.get(r);
      if (current === undefined || augment(current, visited)) {
        owner.set(r, l);
        return true;
      }
    }
    return false;
  };
  for (const l of left) augment(l, new Set());

  const pairs = new Map<number, number>();
  for (const [r, l] of owner) pairs.set(l, r);
  return pairs;
}

/**
 * Collects the receiver names that the `notify` keys of rule files name.
 * Passed to the grammar as the known receivers, they make it accept any
 * receiver, which is what a check without a fleetpulse configuration needs.
 * A directory is read as its `.yml` and `.yaml` files. Unreadable files add
 * no names, and the rule loader reports them.
 */
export function receiversNamedIn(paths: readonly string[]): string[] {
  const names = new Set<string>();
  for (const file of expandRuleFilePaths(paths)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    visit(parseDocument(text), {
      Pair(_, pair) {
        if (!isScalar(pair.key) || pair.key.value !== 'notify') return;
        const items = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const item of items) if (isScalar(item) && typeof item.value === 'string') names.add(item.value);
      },
    });
  }
  return [...names];
}

/** Lists the files that the paths name, reading each directory as its files that `isIncluded` accepts: by default `.yml` and `.yaml`, as checkRuleFiles does. */
export function expandRuleFilePaths(paths: readonly string[], isIncluded: (name: string) => boolean = isRuleFileName): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let entries: string[] | undefined;
    try {
      if (statSync(path).isDirectory()) entries = readdirSync(path).filter(isIncluded).sort();
    } catch {
      // A missing path is kept, so that the code that reads it reports it.
    }
    if (entries === undefined) files.push(normalize(path));
    else files.push(...entries.map((name) => join(path, name)));
  }
  return [...new Set(files)];
}
