/**
 * The NAB evaluation end to end (`npm run bench:nab`):
 *
 * 1. runs each configuration of FLEETPULSE_DETECTORS over every data file;
 * 2. writes NAB result files to NAB_RESULTS_DIR/<detector>/ and reads them back;
 * 3. scores them, and rescores the published windowedGaussian results as a
 *    check of the scorer;
 * 4. prints our rows beside the published final scores of every NAB detector.
 *
 * Exits with status 1 when the rescored windowedGaussian differs from its
 * published score by more than 0.5 on any profile.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadCorpus, NAB_DATA_DIR, NAB_RESULTS_DIR } from './corpus.js';
import { detectCorpus, FLEETPULSE_DETECTORS } from './detect.js';
import { readResultFiles, writeResultFile } from './results.js';
import { NabScorer, type ProfileScore } from './scorer.js';

const PUBLISHED_DIR = path.join(NAB_DATA_DIR, 'results');
const CHECK_DETECTOR = 'windowedGaussian';
const CHECK_TOLERANCE = 0.5;

type FinalResults = Record<string, Record<string, number>>;

interface TableRow {
  detector: string;
  scores: Record<string, number>;
  source: string;
}

function byProfile(results: readonly ProfileScore[]): Record<string, number> {
  return Object.fromEntries(results.map((result) => [result.profile, result.normalized]));
}

function formatTable(rows: readonly TableRow[], profiles: readonly string[]): string {
  const header = ['detector', ...profiles, 'source'];
  const lines = rows.map((row) => [row.detector, ...profiles.map((profile) => row.scores[profile]?.toFixed(1) ?? '-'), row.source]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const render = (cells: string[]) => `| ${cells.map((cell, column) => (column === 0 || column === cells.length - 1 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column === 0 || column === widths.length - 1 ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [render(header), rule, ...lines.map(render)].join('\n');
}

const started = performance.now();
const corpus = await loadCorpus();
const scorer = new NabScorer(corpus);
const profiles = Object.keys(corpus.profiles);
const rowCount = corpus.files.reduce((sum, file) => sum + file.values.length, 0);
console.log(`NAB corpus: ${corpus.files.length} files, ${rowCount} rows, from ${NAB_DATA_DIR}`);

const rows: TableRow[] = [];
const ours: FinalResults = {};
for (const spec of FLEETPULSE_DETECTORS) {
  const detectStarted = performance.now();
  const scores = detectCorpus(corpus, spec.config);
  const detectMs = performance.now() - detectStarted;
  await Promise.all(corpus.files.map((file) => writeResultFile(NAB_RESULTS_DIR, spec.name, file, scores.get(file.relativePath)!)));
  const results = scorer.score(await readResultFiles(NAB_RESULTS_DIR, spec.name, corpus));

  ours[spec.name] = byProfile(results);
  rows.push({ detector: spec.name, scores: ours[spec.name]!, source: 'this run' });
  const thresholds = results.map((result) => `${result.profile} ${result.threshold.toFixed(4)}`).join(', ');
  console.log(`${spec.name}: ${JSON.stringify(spec.config)}; detection ${detectMs.toFixed(0)} ms (${((rowCount / detectMs) * 1000).toFixed(0)} samples/s); thresholds: ${thresholds}`);
}
await writeFile(path.join(NAB_RESULTS_DIR, 'final_results.json'), `${JSON.stringify(ours, null, 4)}\n`);

const published = JSON.parse(await readFile(path.join(PUBLISHED_DIR, 'final_results.json'), 'utf8')) as FinalResults;
const rescored = byProfile(scorer.score(await readResultFiles(PUBLISHED_DIR, CHECK_DETECTOR, corpus)));
let checkFailed = false;
let maxDifference = 0;
for (const profile of profiles) {
  const expected = published[CHECK_DETECTOR]?.[profile];
  const difference = expected === undefined ? Number.NaN : Math.abs(rescored[profile]! - expected);
  if (!(difference <= CHECK_TOLERANCE)) checkFailed = true;
  maxDifference = Math.max(maxDifference, difference);
  console.log(`scorer check, ${CHECK_DETECTOR} ${profile}: rescored ${rescored[profile]!.toFixed(3)}, published ${expected?.toFixed(3) ?? 'missing'}`);
}

for (const [detector, scores] of Object.entries(published)) {
  rows.push({ detector, scores, source: detector === CHECK_DETECTOR ? `published; rescored here within ${maxDifference.toExponential(0)}` : 'published' });
}
rows.sort((a, b) => (b.scores.standard ?? 0) - (a.scores.standard ?? 0));
console.log(`\n${formatTable(rows, profiles)}\n`);

const cpu = cpus();
console.log(`machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, Node ${process.version}`);
console.log(`run time: ${((performance.now() - started) / 1000).toFixed(1)} s; result files in ${NAB_RESULTS_DIR}`);

if (checkFailed) {
  console.error(`the scorer no longer reproduces the published ${CHECK_DETECTOR} scores within ${CHECK_TOLERANCE}: do not trust the table above`);
  process.exitCode = 1;
}
