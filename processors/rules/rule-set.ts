import { checkRuleFiles } from '../../grammar/rule-file.js';
import { type Diagnostic, formatDiagnostics } from '../../grammar/diagnostics.js';
import type { Rule } from '../../grammar/rule-file.js';

export interface RuleSetOptions {
  files: readonly string[];
  /** Receiver names that a rule's `notify` may name. */
  receivers: readonly string[];
  maxWindowMs: number;
}

export type RuleSetResult = { ok: true; rules: Rule[]; warnings: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/** Reads and checks every rule file; the set is usable only when no file has an error. */
export function loadRuleSet(options: RuleSetOptions): RuleSetResult {
  const { rules, diagnostics, ok } = checkRuleFiles(options.files, { receivers: options.receivers, maxWindowMs: options.maxWindowMs });
  if (!ok) return { ok: false, diagnostics };
  return { ok: true, rules, warnings: diagnostics };
}

/** Raised at startup when the rule files have errors; the message carries every diagnostic. */
export class RuleFileError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(`invalid rule files:\n${formatDiagnostics(diagnostics)}`);
    this.name = 'RuleFileError';
  }
}
