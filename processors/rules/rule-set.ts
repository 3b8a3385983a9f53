import { type Diagnostic, formatDiagnostics } from '../../grammar/diagnostics.js';
import { checkRuleFiles, type Rule } from '../../grammar/rule-file.js';
import type { DeadmanGroup } from '../config.js';
import { deadmanRules } from './deadman-groups.js';

export interface RuleSetOptions {
  files: readonly string[];
  deadman: readonly DeadmanGroup[];
  /** Receiver names that a rule's `notify` may name. */
  receivers: readonly string[];
  maxWindowMs: number;
}

export type RuleSetResult = { ok: true; rules: Rule[]; warnings: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/** Reads and checks every rule file and dead-man group. The set is usable only when none has an error. */
export function loadRuleSet(options: RuleSetOptions): RuleSetResult {
  const files = options.files.length > 0 ? checkRuleFiles(options.files, { receivers: options.receivers, maxWindowMs: options.maxWindowMs }) : { rules: [], diagnostics: [], ok: true };
  const groups = deadmanRules(options.deadman, options.receivers);
  const diagnostics = [...files.diagnostics, ...groups.diagnostics];

  const fileNames = new Set(files.rules.map((rule) => rule.name));
  for (const rule of groups.rules) {
    if (fileNames.has(rule.name)) {
      diagnostics.push({
        severity: 'error',
        file: 'processor.deadman (configuration)',
        line: 0,
        column: 0,
        endColumn: 0,
        sourceLine: '',
        message: `dead-man group ${rule.name} has the name of a rule in the rule files; rename one of them`,
        rule: rule.name,
      });
    }
  }

  if (diagnostics.some((diagnostic) => diagnostic.severity === 'error')) return { ok: false, diagnostics };
  return { ok: true, rules: [...files.rules, ...groups.rules], warnings: diagnostics };
}

/** Raised at startup when the rule files have errors; the message carries every diagnostic. */
export class RuleFileError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(`invalid rule files:\n${formatDiagnostics(diagnostics)}`);
    this.name = 'RuleFileError';
  }
}
