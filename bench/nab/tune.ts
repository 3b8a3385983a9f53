/**
 * Sweeps detector parameters over the NAB corpus and prints the NAB scores of
 * every combination, best standard score first. This is how the parameters
 * in detect.ts were chosen: on NAB's own labels, so the best figures are
 * tuned ones.
 *
 *   npx tsx bench/nab/tune.ts '{"variant": ["robust"], "window": ["1d", "3d12h"], "likelihood.ramp": [[2, 5], [3, 6]]}'
 *
 * The argument maps configuration fields (dotted paths for nested ones) to
 * the values to try; every combination is run.
 */
import { loadCorpus } from './corpus.js';
import { detectCorpus } from './detect.js';
import { NabScorer } from './scorer.js';

type Grid = Record<string, unknown[]>;

/** Returns every combination of the grid's values as a nested configuration object. */
function combinations(grid: Grid): Record<string, unknown>[] {
  let configs: Record<string, unknown>[] = [{}];
  for (const [field, values] of Object.entries(grid)) {
    configs = configs.flatMap((config) => values.map((value) => setPath(structuredClone(config), field, value)));
  }
  return configs;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): Record<string, unknown> {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
  return target;
}

const argument = process.argv[2];
if (argument === undefined) {
  console.error('usage: npx tsx bench/nab/tune.ts \'{"field": [value, ...], "likelihood.ramp": [[2, 5]]}\'');
  process.exit(2);
}
const grid = JSON.parse(argument) as Grid;
const corpus = await loadCorpus();
const scorer = new NabScorer(corpus);

const rows: { config: Record<string, unknown>; scores: number[] }[] = [];
for (const config of combinations(grid)) {
  const scores = scorer.score(detectCorpus(corpus, config)).map((result) => result.normalized);
  rows.push({ config, scores });
  console.log(scores.map((score) => score.toFixed(2).padStart(6)).join(' '), JSON.stringify(config));
}

console.log(`\nbest standard score first (${Object.keys(corpus.profiles).join(', ')}):`);
const standard = Math.max(0, Object.keys(corpus.profiles).indexOf('standard'));
rows.sort((a, b) => b.scores[standard]! - a.scores[standard]!);
for (const { config, scores } of rows.slice(0, 10)) {
  console.log(scores.map((score) => score.toFixed(2).padStart(6)).join(' '), JSON.stringify(config));
}
