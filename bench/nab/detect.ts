/**
 * Runs fleetpulse's outlier detector over the NAB corpus, one fresh detector
 * per data file, with the same configuration for every file.
 */
import { createOutlierDetector, type OutlierConfigInput } from '../../processors/outliers/index.js';
import type { Corpus, DataFile } from './corpus.js';
import type { DetectorScores } from './scorer.js';

/** A named detector configuration; the name is NAB's detector name in result file paths. */
export interface DetectorSpec {
  name: string;
  config: OutlierConfigInput;
}

/**
 * The configurations that `npm run bench:nab` scores, one per variant. The
 * values were chosen by sweeping them over the NAB corpus itself (see
 * bench/nab/README.md), so their NAB scores are tuned, not held-out, figures.
 */
export const FLEETPULSE_DETECTORS: readonly DetectorSpec[] = [
  { name: 'fleetpulseZscore', config: { variant: 'zscore' } },
  { name: 'fleetpulseRobust', config: { variant: 'robust' } },
];

/** Returns the detector's score for every row of one data file, fed in file order. */
export function detectFile(file: DataFile, config: OutlierConfigInput): Float64Array {
  const detector = createOutlierDetector(config);
  const scores = new Float64Array(file.values.length);
  for (let index = 0; index < scores.length; index++) {
    scores[index] = detector.update(file.timestamps[index]!, file.values[index]!).score;
  }
  return scores;
}

/** Returns the detector's scores for every data file of the corpus. */
export function detectCorpus(corpus: Corpus, config: OutlierConfigInput): DetectorScores {
  return new Map(corpus.files.map((file) => [file.relativePath, detectFile(file, config)]));
}
