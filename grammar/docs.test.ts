import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildCondition } from './compile.js';
import { formatDiagnostic } from './diagnostics.js';
import { parseRuleFile } from './rule-file.js';

/** docs/rules.md shows real output; these tests keep it so. */
const docs = readFileSync(new URL('../docs/rules.md', import.meta.url), 'utf8');

function section(heading: string): string {
  const start = docs.indexOf(`${heading}\n`);
  if (start === -1) throw new Error(`docs/rules.md has no heading ${heading}`);
  const next = docs.indexOf('\n#', start + heading.length);
  return docs.slice(start, next === -1 ? undefined : next);
}

function codeBlocks(text: string): string[] {
  return [...text.matchAll(/```text\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

t.test('docs function examples compile', async (t) => {
  const blocks = codeBlocks(section('## Window functions'));
  const examples = blocks.at(-1)!.split('\n').filter((line) => line.trim() !== '');
  t.ok(examples.length >= 13, 'an example for every function');
  for (const line of examples) {
    const condition = line.split(/\s{2,}/)[0]!;
    t.same(buildCondition(condition).issues, [], condition);
  }
});

t.test('docs condition diagnostics match the checker', async (t) => {
  for (const heading of ['### Syntax', '### Functions', '### Regular expressions', '### Types']) {
    const entries = codeBlocks(section(heading)).join('\n').split('\n\n').map((entry) => entry.trim()).filter(Boolean);
    t.ok(entries.length > 0, `${heading} has examples`);
    for (const entry of entries) {
      const sourceLine = entry.split('\n')[1]!;
      const condition = sourceLine.slice(sourceLine.indexOf('condition: ') + 'condition: '.length);
      const text = `- name: Example\n  condition: ${condition}\n  severity: info\n`;
      const diagnostics = parseRuleFile(text, 'rules.yml', { receivers: [] }).diagnostics;
      t.equal(diagnostics.map(formatDiagnostic).join('\n\n'), entry, condition);
    }
  }
});
