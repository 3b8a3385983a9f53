/**
 * The scorer is trusted only while it reproduces NAB's published scores of
 * the windowedGaussian detector from its published result files: the final
 * scores of all three profiles and every per-file row of NAB's score tables.
 * Needs the NAB corpus with its results/ folder at NAB_DATA_DIR.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { loadCorpus, NAB_DATA_DIR, parseCsv } from './corpus.js';
import { readResultFiles } from './results.js';
import { NabScorer, nullDetectorScores } from './scorer.js';

const PUBLISHED_DIR = path.join(NAB_DATA_DIR, 'results');
const DETECTOR = 'windowedGaussian';
/** Allowed difference from a published final score. The scorer matched within 2e-11 (bench/nab/README.md), and the per-file checks below use 1e-6. */
const TOLERANCE = 0.5;

const corpus = await loadCorpus();
const scorer = new NabScorer(corpus);
const published = JSON.parse(await readFile(path.join(PUBLISHED_DIR, 'final_results.json'), 'utf8')) as Record<string, Record<string, number>>;
const results = scorer.score(await readResultFiles(PUBLISHED_DIR, DETECTOR, corpus));

t.test('corpus has 58 files and 116 windows', async (t) => {
  t.equal(corpus.files.length, 58);
  t.equal(corpus.files.reduce((sum, file) => sum + file.windows.length, 0), 116);
  t.same(Object.keys(corpus.profiles).sort(), ['reward_low_FN_rate', 'reward_low_FP_rate', 'standard']);
});

t.test('windowedGaussian standard score is 39.6', async (t) => {
  const standard = results.find((result) => result.profile === 'standard')!;
  t.ok(Math.abs(standard.normalized - 39.6) <= TOLERANCE, `standard score ${standard.normalized}`);
});

t.test('windowedGaussian matches final_results.json', async (t) => {
  for (const result of results) {
    const expected = published[DETECTOR]![result.profile]!;
    t.ok(Math.abs(result.normalized - expected) <= TOLERANCE, `${result.profile}: ${result.normalized}, published ${expected}`);
  }
});

t.test('windowedGaussian matches per-file score tables', async (t) => {
  for (const result of results) {
    const source = path.join(PUBLISHED_DIR, DETECTOR, `${DETECTOR}_${result.profile}_scores.csv`);
    const { header, rows } = parseCsv(await readFile(source, 'utf8'), source);
    const column = (name: string) => header.indexOf(name);
    for (const row of rows) {
      const relativePath = row[column('File')]!;
      if (row[column('Detector')] === 'Totals') continue;
      const file = result.files.find((entry) => entry.relativePath === relativePath);
      if (!file) {
        t.fail(`${result.profile}: no score for ${relativePath}`);
        continue;
      }
      t.equal(file.threshold, Number(row[column('Threshold')]), `${result.profile} ${relativePath} threshold`);
      t.ok(Math.abs(file.score - Number(row[column('Score')])) < 1e-6, `${result.profile} ${relativePath} score ${file.score}`);
      t.same([file.tp, file.tn, file.fp, file.fn], ['TP', 'TN', 'FP', 'FN'].map((name) => Number(row[column(name)])), `${result.profile} ${relativePath} counts`);
    }
  }
});

t.test('null detector normalizes to 0', async (t) => {
  for (const result of scorer.score(nullDetectorScores(corpus))) {
    t.equal(result.normalized, 0, result.profile);
    t.equal(result.nullRaw, -116 * corpus.profiles[result.profile]!.fnWeight, `${result.profile} baseline`);
  }
});

t.test('perfect detector normalizes to 100', async (t) => {
  // A score of 1 on the first row of each window and 0 elsewhere.
  const perfect = new Map(
    corpus.files.map((file) => {
      const scores = new Float64Array(file.timestamps.length);
      for (const window of file.windows) scores[file.timestamps.indexOf(window.start)] = 1;
      return [file.relativePath, scores] as const;
    }),
  );
  for (const result of scorer.score(perfect)) {
    t.ok(Math.abs(result.normalized - 100) < 1e-9, `${result.profile}: ${result.normalized}`);
  }
});
