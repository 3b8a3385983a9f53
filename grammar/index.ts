/**
 * The alert-rule condition language: parser, checker, compiler, diagnostics,
 * formatter and rule-file loader. See docs/rules.md for the language.
 *
 * ```ts
 * const { rules, diagnostics, ok } = checkRuleFiles(['rules/'], { receivers: ['oncall'] });
 * if (!ok) console.error(formatDiagnostics(diagnostics));
 * const firing = rules[0]!.condition.compiled.evaluate(ctx);
 * ```
 */
export type * from './ast.js';
export { parseCondition, MAX_DEPTH, type ParseResult } from './parse.js';
export { anchoredRegExp, checkCondition, DEFAULT_MAX_WINDOW_MS, typeOf, type CheckOptions, type ValueType } from './check.js';
export {
  buildCondition,
  compileCondition,
  type BuiltCondition,
  type CompiledCondition,
  type EvalContext,
  type Labels,
  type Selector,
  type WindowSpec,
} from './compile.js';
export {
  formatDiagnostic,
  formatDiagnostics,
  placeIssues,
  SourceFile,
  type Diagnostic,
  type Issue,
  type OffsetMap,
} from './diagnostics.js';
export { formatCondition, formatConditionText, formatRuleFile, formatRuleText, type FormatResult } from './format.js';
export { FUNCTIONS, FUNCTION_NAMES, type FunctionInfo, type WindowFunction } from './functions.js';
export {
  checkRuleFiles,
  loadRuleFile,
  parseRuleFile,
  type Rule,
  type RuleCondition,
  type RuleFileOptions,
  type RuleFileResult,
} from './rule-file.js';
export { checkTemplate, formatTemplateValue, renderTemplate, type TemplateData } from './template.js';
export { aggregateWindow, samplesInWindow, type Sample } from './window-reference.js';
