import { stringify } from 'yaml';
import { parseRuleFile, type Rule } from '../../grammar/rule-file.js';
import type { Diagnostic } from '../../grammar/diagnostics.js';
import type { DeadmanGroup } from '../config.js';

/**
 * Turns dead-man groups from config into absent() rules, so that they share
 * the engine's deadline queue, lifecycle and checkpoints with rule files:
 * `{name: DatabaseSilent, match: {role: db}, timeout: 60s}` becomes
 * `absent(60s) and tag.role == "db"`.
 */
export function deadmanRules(groups: readonly DeadmanGroup[], receivers: readonly string[]): { rules: Rule[]; diagnostics: Diagnostic[] } {
  if (groups.length === 0) return { rules: [], diagnostics: [] };

  const documents = groups.map((group) => {
    const terms = [`absent(${group.timeout})`];
    for (const [tag, value] of Object.entries(group.match)) terms.push(`tag.${tag} == ${JSON.stringify(value)}`);
    for (const [tag, pattern] of Object.entries(group.match_re)) terms.push(`tag.${tag} =~ ${JSON.stringify(pattern)}`);
    return {
      name: group.name,
      condition: terms.join(' and '),
      severity: group.severity,
      ...(group.notify.length > 0 ? { notify: group.notify } : {}),
      annotations: { summary: `{{agent}} has sent nothing for ${group.timeout}` },
    };
  });
  return parseRuleFile(stringify(documents), 'processor.deadman (configuration)', { receivers });
}
