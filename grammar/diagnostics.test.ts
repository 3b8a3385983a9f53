import t from 'tap';
import { formatDiagnostic, placeIssues, SourceFile, sortDiagnostics } from './diagnostics.js';
import { parseCondition } from './parse.js';

t.test('diagnostics positions of a source file', async (t) => {
  const source = new SourceFile('f', 'ab\ncd\r\nef\rgh');
  t.same(source.position(0), { line: 1, column: 1 });
  t.same(source.position(2), { line: 1, column: 3 });
  t.same(source.position(3), { line: 2, column: 1 });
  t.same(source.position(7), { line: 3, column: 1 });
  t.same(source.position(10), { line: 4, column: 1 });
  t.same(source.position(99), { line: 4, column: 3 }, 'past the end lands on the end');
  t.equal(source.lineText(2), 'cd');
  t.equal(source.lineText(3), 'ef');
  t.equal(source.lineText(4), 'gh');
  t.equal(source.lineText(9), '');
});

t.test('diagnostics render with carets', async (t) => {
  const source = new SourceFile('rules.yml', 'x\n\tcondition: cpu > "a"\n');
  const diagnostic = source.diagnostic('bad', 19, 22, { rule: 'R' });
  t.same([diagnostic.line, diagnostic.column, diagnostic.endColumn], [2, 18, 21]);
  t.equal(formatDiagnostic(diagnostic), 'rules.yml:2:18: error in rule R: bad\n  2 | \tcondition: cpu > "a"\n    | \t                ^^^');

  const atEnd = source.diagnostic('at end', 22, 22);
  t.equal(formatDiagnostic(atEnd).split('\n')[2], '    | \t                   ^', 'an empty span still gets one caret');

  const multiLine = source.diagnostic('spans lines', 0, 10);
  t.same([multiLine.line, multiLine.column, multiLine.endColumn], [1, 1, 2], 'carets stop at the end of the first line');

  t.equal(formatDiagnostic(source.fileDiagnostic('cannot read')), 'rules.yml: error: cannot read');
});

t.test('diagnostics place condition issues through an offset map', async (t) => {
  const file = new SourceFile('r.yml', 'condition: "a\\tb > x"\n');
  // Condition text `a<TAB>b > x` starts at offset 12; the tab is written as two characters.
  const offsets = [12, 13, 15, 16, 17, 18, 19, 20];
  const [diagnostic] = placeIssues([{ message: 'm', start: 6, end: 7 }], file, (offset) => offsets[offset]!, 'R');
  t.same([diagnostic!.line, diagnostic!.column, diagnostic!.endColumn, diagnostic!.rule], [1, 20, 21, 'R']);
});

t.test('diagnostics sort by file and position', async (t) => {
  const a = new SourceFile('a', 'x\ny\n');
  const b = new SourceFile('b', 'x\n');
  const sorted = sortDiagnostics([a.diagnostic('2', 2, 3), b.diagnostic('3', 0, 1), a.diagnostic('1', 0, 1)]);
  t.same(sorted.map((diagnostic) => diagnostic.message), ['1', '2', '3']);
});

t.test('diagnostics of syntax errors quote whole tokens', async (t) => {
  const message = (source: string) => parseCondition(source).issues[0]!.message;
  t.equal(message('x > 1 foo_bar_baz'), "expected an operator or the end of the condition after '1' but found 'foo_bar_baz'");
  t.equal(message('x > "abc" "def"'), `expected an operator or the end of the condition after '"abc"' but found '"def"'`);
  t.equal(message('tag.env tag.role'), "expected an operator or the end of the condition after 'tag.env' but found 'tag.role'");
  t.equal(
    message('x > 1 a_very_long_metric_name_that_goes_on_and_on'),
    "expected an operator or the end of the condition after '1' but found 'a_very_long_metric_name_…'",
  );
});
