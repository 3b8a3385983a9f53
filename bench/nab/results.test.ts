import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadCorpus, parseTimestamp } from './corpus.js';
import { readResultFiles, resultPath, writeResultFile } from './results.js';

/** Writes a two-file corpus in NAB's layout under a new temporary folder. */
async function writeCorpus(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'nab-corpus-'));
  await mkdir(path.join(root, 'data', 'realTest'), { recursive: true });
  await mkdir(path.join(root, 'labels'));
  await mkdir(path.join(root, 'config'));
  const rows = (count: number) =>
    Array.from({ length: count }, (_, index) => `2015-01-01 00:${String(index).padStart(2, '0')}:00,${index * 1.5}`).join('\n');
  await writeFile(path.join(root, 'data', 'realTest', 'a.csv'), `timestamp,value\n${rows(20)}\n`);
  await writeFile(path.join(root, 'data', 'realTest', 'b.csv'), `timestamp,value\n${rows(10)}\n`);
  await writeFile(
    path.join(root, 'labels', 'combined_windows.json'),
    JSON.stringify({ 'realTest/a.csv': [['2015-01-01 00:05:00.000000', '2015-01-01 00:07:00.000000']], 'realTest/b.csv': [] }),
  );
  await writeFile(path.join(root, 'config', 'profiles.json'), JSON.stringify({ standard: { CostMatrix: { tpWeight: 1, fnWeight: 1, fpWeight: 0.11, tnWeight: 1 } } }));
  return root;
}

t.test('parseTimestamp reads both NAB forms', async (t) => {
  t.equal(parseTimestamp('2014-04-01 00:05:00'), Date.UTC(2014, 3, 1, 0, 5));
  t.equal(parseTimestamp('2014-04-10 07:15:00.000000'), Date.UTC(2014, 3, 10, 7, 15));
  t.throws(() => parseTimestamp('04/01/2014 00:05'), /invalid NAB timestamp/);
});

t.test('result files round-trip scores', async (t) => {
  const root = await writeCorpus();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const corpus = await loadCorpus(root);
  const resultsDir = path.join(root, 'results');
  const scores = new Map(corpus.files.map((file) => [file.relativePath, Float64Array.from(file.values, (value) => Math.sin(value) ** 2 / 3)]));

  for (const file of corpus.files) await writeResultFile(resultsDir, 'probe', file, scores.get(file.relativePath)!);
  const written = await readFile(resultPath(resultsDir, 'probe', corpus.files[0]!), 'utf8');
  const lines = written.trim().split('\n');
  t.equal(lines[0], 'timestamp,value,anomaly_score,label', 'header');
  t.equal(lines[1], `2015-01-01 00:00:00,0,0,0`, 'first row');
  t.match(lines[6], /^2015-01-01 00:05:00,7\.5,[^,]+,1$/, 'a row in the window is labeled 1');
  t.match(lines[9], /,0$/, 'a row after the window is labeled 0');

  const read = await readResultFiles(resultsDir, 'probe', corpus);
  for (const file of corpus.files) t.same(read.get(file.relativePath), scores.get(file.relativePath), `${file.relativePath} scores`);
});

t.test('readResultFiles rejects bad files', async (t) => {
  const root = await writeCorpus();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const corpus = await loadCorpus(root);
  const resultsDir = path.join(root, 'results');
  const [a, b] = corpus.files as [(typeof corpus.files)[0], (typeof corpus.files)[0]];

  await t.rejects(readResultFiles(resultsDir, 'probe', corpus), { code: 'ENOENT' }, 'missing result file');

  await writeResultFile(resultsDir, 'probe', a, new Float64Array(20));
  await writeResultFile(resultsDir, 'probe', b, new Float64Array(10));
  const target = resultPath(resultsDir, 'probe', b);
  const text = await readFile(target, 'utf8');
  await writeFile(target, text.replace('2015-01-01 00:03:00', '2015-01-01 00:03:30'));
  await t.rejects(readResultFiles(resultsDir, 'probe', corpus), /timestamp 2015-01-01 00:03:30 differs/, 'shifted timestamp');

  await writeFile(target, text.replace(/\n[^\n]*\n$/, '\n'));
  await t.rejects(readResultFiles(resultsDir, 'probe', corpus), /has 9 rows, but realTest\/b\.csv has 10/, 'missing row');

  await writeFile(target, text.replace('00:03:00,4.5,0,', '00:03:00,4.5,high,'));
  await t.rejects(readResultFiles(resultsDir, 'probe', corpus), /line 5: invalid number "high"/, 'score that is not a number');
});

t.test('writeResultFile rejects mismatched lengths', async (t) => {
  const root = await writeCorpus();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const corpus = await loadCorpus(root);
  await t.rejects(writeResultFile(path.join(root, 'results'), 'probe', corpus.files[0]!, new Float64Array(3)), /3 anomaly scores for the 20 rows/);
});

t.test('loadCorpus names a missing folder', async (t) => {
  await t.rejects(loadCorpus(path.join(tmpdir(), 'no-such-nab-corpus')), /set NAB_DATA_DIR/);
});
