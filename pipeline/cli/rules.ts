import { readFileSync, writeFileSync } from 'node:fs';
import { checkRuleFiles, formatDiagnostics, formatRuleFile, formatTemplateValue, SourceFile, type Diagnostic } from '../../grammar/index.js';
import type { ExpectedAlert } from '../../processors/rules/rule-test-file.js';
import {
  type ActualAlert,
  type AlertCheckResult,
  expandRuleFilePaths,
  receiversNamedIn,
  type RuleTestFileResult,
  type RuleTestOptions,
  runRuleTestFile,
} from '../../processors/rules/rule-test.js';
import { formatDuration } from '../config/duration.js';
import type { Command } from './args.js';
import { loadFleetpulseConfig } from './config.js';

type RulesCommand = Extract<Command, { name: 'rules' }>;

/** Output streams of the rule commands; each call writes one or more whole lines. */
export interface RulesOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: RulesOutput = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
};

/**
 * Runs `fleetpulse rules check|test|fmt`; returns the exit status. Reports
 * (formatted rules, test results, the summary of a successful check) go to
 * stdout; diagnostics and the summaries of failures go to stderr.
 */
export async function runRulesCommand(command: RulesCommand, output: RulesOutput = processOutput): Promise<number> {
  switch (command.action) {
    case 'check':
      return checkCommand(command.files, ruleOptionsOf(command.config), output);
    case 'test':
      return testCommand(command.files, ruleOptionsOf(command.config), output);
    case 'fmt':
      return fmtCommand(command.files, command.write, output);
  }
}

/** Reads the receivers and window limit from a fleetpulse configuration; without one there are none, so any receiver is accepted. */
function ruleOptionsOf(configFile: string | undefined): RuleTestOptions {
  if (configFile === undefined) return {};
  const config = loadFleetpulseConfig(configFile);
  return { receivers: config.notifier.receivers.map((receiver) => receiver.name), maxWindowMs: config.processor.max_window };
}

function checkCommand(paths: readonly string[], options: RuleTestOptions, output: RulesOutput): number {
  const receivers = options.receivers ?? receiversNamedIn(paths);
  const result = checkRuleFiles(paths, { receivers, maxWindowMs: options.maxWindowMs });
  if (result.diagnostics.length > 0) output.stderr(`${formatDiagnostics(result.diagnostics)}\n`);

  if (!result.ok) {
    output.stderr(errorSummary(result.diagnostics));
    return 1;
  }
  const files = expandRuleFilePaths(paths).length;
  const warnings = result.diagnostics.length;
  const warningText = warnings > 0 ? `, ${plural(warnings, 'warning')}` : '';
  output.stdout(`${plural(result.rules.length, 'rule')} in ${plural(files, 'file')} OK${warningText}`);
  return 0;
}

async function testCommand(paths: readonly string[], options: RuleTestOptions, output: RulesOutput): Promise<number> {
  const { files, diagnostics } = filesOf(paths, '.test.yml or .test.yaml file', (name) => name.endsWith('.test.yml') || name.endsWith('.test.yaml'));
  if (diagnostics.length > 0) {
    output.stderr(formatDiagnostics(diagnostics));
    return 1;
  }

  const results: RuleTestFileResult[] = [];
  for (const file of files) {
    const result = await runRuleTestFile(file, options);
    results.push(result);
    if (result.diagnostics.length > 0) {
      output.stderr(`${formatDiagnostics(result.diagnostics)}\n`);
      output.stderr(`${errorSummary(result.diagnostics)}; the tests of ${file} did not run\n`);
    } else {
      output.stdout(formatTestFileResult(result));
    }
  }

  const summary = testSummary(results);
  output.stdout(summary.text);
  return summary.ok ? 0 : 1;
}

function fmtCommand(paths: readonly string[], write: boolean, output: RulesOutput): number {
  const { files, diagnostics } = filesOf(paths, '.yml or .yaml file', (name) => name.endsWith('.yml') || name.endsWith('.yaml'));
  let formatted = 0;
  let rewritten = 0;
  for (const file of files) {
    const result = formatRuleFile(file);
    if (result.text === undefined) {
      diagnostics.push(...result.diagnostics);
      continue;
    }
    formatted++;
    if (!write) {
      // A header line separates several files, as head(1) prints them.
      if (files.length > 1) output.stdout(`==> ${file} <==`);
      output.stdout(result.text.replace(/\n$/, ''));
      continue;
    }
    // Files already in canonical form keep their modification time.
    if (readFileSync(file, 'utf8') !== result.text) {
      writeFileSync(file, result.text);
      rewritten++;
    }
  }

  if (diagnostics.length > 0) output.stderr(`${formatDiagnostics(diagnostics)}\n`);
  if (write) output.stderr(`rewrote ${rewritten} of ${plural(formatted, 'formatted file')}`);
  if (diagnostics.length === 0) return 0;
  output.stderr(`${errorSummary(diagnostics)}; files with errors are left as they are`);
  return 1;
}

/** Lists the files that paths name, reading a directory as its files that `isIncluded` accepts; an empty directory is an error. */
function filesOf(paths: readonly string[], expectedFiles: string, isIncluded: (name: string) => boolean): { files: string[]; diagnostics: Diagnostic[] } {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const path of paths) {
    const expanded = expandRuleFilePaths([path], isIncluded);
    if (expanded.length === 0) diagnostics.push(new SourceFile(path, '').fileDiagnostic(`the directory contains no ${expectedFiles}`));
    files.push(...expanded);
  }
  return { files: [...new Set(files)], diagnostics };
}

/** "2 errors in rules.yml", or "3 errors in 2 files" when several files have errors. */
function errorSummary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
  const files = [...new Set(errors.map((diagnostic) => diagnostic.file))];
  return `${plural(errors.length, 'error')} in ${files.length === 1 ? files[0] : plural(files.length, 'file')}`;
}

/** Builds the summary line of `rules test`; `ok` is true when every test of every file passed. */
export function testSummary(results: readonly RuleTestFileResult[]): { text: string; ok: boolean } {
  const tests = results.flatMap((result) => result.tests);
  const failed = tests.filter((test) => !test.passed).length;
  const invalid = results.filter((result) => result.diagnostics.length > 0).length;
  const counted = `${plural(tests.length, 'test')} in ${plural(results.length, 'file')}`;
  if (failed === 0 && invalid === 0) return { text: `${counted} passed`, ok: true };

  const parts = [`${tests.length - failed} passed`, `${failed} failed`];
  if (invalid > 0) parts.push(`${plural(invalid, 'invalid file')} not run`);
  return { text: `${counted}: ${parts.join(', ')}`, ok: false };
}

/**
 * Renders the results of one test file: PASS or FAIL per test and, under a
 * failed test, each failed check with its missing, unexpected and differing
 * alerts.
 *
 * ```text
 * rules/high-cpu.test.yml
 *   FAIL  HighCPU fires after three minutes
 *     rules/high-cpu.test.yml:14:9: HighCPU at 3m
 *       unexpected alert {agent="web-1", severity="critical"} firing (active since 10s, value 95)
 * ```
 */
export function formatTestFileResult(result: RuleTestFileResult): string {
  const lines = [result.file];
  for (const test of result.tests) {
    lines.push(`  ${test.passed ? 'PASS' : 'FAIL'}  ${test.name}`);
    for (const check of test.checks) {
      if (!check.passed) lines.push(...formatFailedCheck(result.file, check));
    }
  }
  return lines.join('\n');
}

function formatFailedCheck(file: string, check: AlertCheckResult): string[] {
  const lines = [`    ${file}:${check.line}:${check.column}: ${check.alertname} at ${formatDuration(check.evalTimeMs)}`];
  for (const expected of check.missing) lines.push(`      missing alert ${describeExpected(expected)}`);
  for (const actual of check.unexpected) {
    lines.push(`      unexpected alert ${describeActual(actual)}`);
    if (Object.keys(actual.annotations).length > 0) lines.push(`        annotations ${labelsText(actual.annotations)}`);
  }
  for (const { expected, differences } of check.mismatched) {
    lines.push(`      alert ${labelsText(expected.labels)} differs:`);
    for (const difference of differences) {
      lines.push(`        ${difference.field}: expected ${fieldText(difference.field, difference.expected)}, got ${fieldText(difference.field, difference.actual)}`);
    }
  }
  for (const pending of check.uncomparedPending) {
    lines.push(`      not compared, because pending: ${describeActual(pending, false)}; to expect it, add exp_state: pending`);
  }
  return lines;
}

function describeExpected(alert: ExpectedAlert): string {
  const annotations = Object.keys(alert.annotations).length > 0 ? ` with annotations ${labelsText(alert.annotations)}` : '';
  return `${labelsText(alert.labels)} ${alert.state}${annotations}`;
}

function describeActual(alert: ActualAlert, withState = true): string {
  // alertname is the check's own, so it would only repeat the header.
  const { alertname: _, ...labels } = alert.labels;
  return `${labelsText(labels)}${withState ? ` ${alert.state}` : ''} (active since ${formatDuration(alert.activeAtMs)}, value ${formatTemplateValue(alert.value)})`;
}

/** Labels in Prometheus notation, sorted by name: `{agent="web-1", severity="critical"}`. */
function labelsText(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((name) => `${name}=${JSON.stringify(labels[name])}`).join(', ')}}`;
}

/** Formats a value of a difference: a state as its word, a label or annotation quoted, an absent one as "nothing". */
function fieldText(field: string, value: string | undefined): string {
  if (value === undefined) return 'nothing';
  return field === 'state' ? value : JSON.stringify(value);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
