/**
 * Corpus-level NAB scoring, following nab/optimizer.py, nab/scorer.py and
 * `Runner.normalize` in nab/runner.py of the NAB repository. Per profile, it
 * finds the threshold that maximizes the raw score over the whole corpus and
 * scores each file at that threshold. The raw total is normalized so that the
 * null detector scores 0 and a perfect detector 100.
 */
import type { Corpus, CostMatrix, DataFile } from './corpus.js';
import { bestThreshold, concatRows, PROBATIONARY_PERCENT, scoreAtThreshold, scoreByThreshold, sweepRows, type SweepRows, type ThresholdScore } from './sweeper.js';

/** A detector's anomaly scores: relative data path to one score per data row. */
export type DetectorScores = ReadonlyMap<string, ArrayLike<number>>;

export interface FileScore extends ThresholdScore {
  relativePath: string;
}

export interface ProfileScore {
  profile: string;
  /** The threshold that maximizes the raw score over the corpus. */
  threshold: number;
  /** Sum of the per-file raw scores at that threshold. */
  raw: number;
  /** Raw score of the null detector, which never detects anything. */
  nullRaw: number;
  /** Raw score of a perfect detector: one true positive of weight tpWeight per window. */
  perfectRaw: number;
  /** 100 * (raw - nullRaw) / (perfectRaw - nullRaw). */
  normalized: number;
  files: FileScore[];
}

/** Anomaly score of NAB's null detector, the same for every row. */
const NULL_DETECTOR_SCORE = 0.5;

/** Returns the null detector's anomaly scores: 0.5 for every row of every file. */
export function nullDetectorScores(corpus: Corpus): DetectorScores {
  return new Map(corpus.files.map((file) => [file.relativePath, new Float64Array(file.timestamps.length).fill(NULL_DETECTOR_SCORE)]));
}

/** The row weights of one profile, which depend on the labels alone, and its null and perfect scores. */
interface ProfilePlan {
  profile: string;
  cost: CostMatrix;
  /** Per file, in corpus order: the sweep rows with window ids unique across the corpus. */
  rows: SweepRows[];
  nullRaw: number;
  perfectRaw: number;
}

/**
 * Scores detectors on every profile of one corpus. The row weights and the
 * null detector's score are computed once, in the constructor, and shared by
 * every `score` call.
 */
export class NabScorer {
  readonly corpus: Corpus;
  private readonly plans: ProfilePlan[];

  constructor(corpus: Corpus) {
    this.corpus = corpus;
    const windowCount = corpus.files.reduce((sum, file) => sum + file.windows.length, 0);
    const nullScores = nullDetectorScores(corpus);
    this.plans = Object.entries(corpus.profiles).map(([profile, cost]) => {
      let nextWindowId = 0;
      const rows = corpus.files.map((file) => {
        const fileRows = sweepRows(file.timestamps, nullScores.get(file.relativePath)!, file.windows, cost, nextWindowId, PROBATIONARY_PERCENT);
        nextWindowId += fileRows.windowCount;
        return fileRows;
      });
      const plan: ProfilePlan = { profile, cost, rows, nullRaw: 0, perfectRaw: windowCount * cost.tpWeight };
      plan.nullRaw = this.scoreProfile(plan, nullScores).raw;
      return plan;
    });
  }

  /**
   * Scores a detector on every profile: the best threshold over the corpus,
   * the per-file scores at it and the normalized score. The null baseline is
   * the null detector's raw score under the same rules, and the perfect score
   * is the number of windows in the corpus times tpWeight, as in NAB.
   */
  score(scores: DetectorScores): ProfileScore[] {
    return this.plans.map((plan) => {
      const { threshold, raw, files } = this.scoreProfile(plan, scores);
      const normalized = (100 * (raw - plan.nullRaw)) / (plan.perfectRaw - plan.nullRaw);
      return { profile: plan.profile, threshold, raw, nullRaw: plan.nullRaw, perfectRaw: plan.perfectRaw, normalized, files };
    });
  }

  /** Chooses the best threshold of one profile over the corpus and scores every file at it. */
  private scoreProfile(plan: ProfilePlan, scores: DetectorScores): { threshold: number; raw: number; files: FileScore[] } {
    const rows = this.corpus.files.map((file, index) => withScores(plan.rows[index]!, file, scores.get(file.relativePath)));
    const { threshold } = bestThreshold(scoreByThreshold(concatRows(rows), plan.cost));
    const files: FileScore[] = [];
    let raw = 0;
    rows.forEach((fileRows, index) => {
      const fileScore = scoreAtThreshold(fileRows, plan.cost, threshold);
      files.push({ relativePath: this.corpus.files[index]!.relativePath, ...fileScore });
      raw += fileScore.score;
    });
    return { threshold, raw, files };
  }
}

/** Returns `rows` with the anomaly scores of the file's scorable rows, which are its last rows. */
function withScores(rows: SweepRows, file: DataFile, fileScores: ArrayLike<number> | undefined): SweepRows {
  if (fileScores === undefined) throw new Error(`no anomaly scores for ${file.relativePath}: every data file of the corpus needs a result file`);
  if (fileScores.length !== file.timestamps.length) {
    throw new Error(`${fileScores.length} anomaly scores for the ${file.timestamps.length} rows of ${file.relativePath}: a detector needs one score per row`);
  }
  const scorable = rows.anomalyScores.length;
  const probation = fileScores.length - scorable;
  const anomalyScores = new Float64Array(scorable);
  for (let index = 0; index < scorable; index++) anomalyScores[index] = fileScores[probation + index]!;
  return { ...rows, anomalyScores };
}

/** Scores a detector on every profile of the corpus; see `NabScorer.score`. */
export function scoreDetector(corpus: Corpus, scores: DetectorScores): ProfileScore[] {
  return new NabScorer(corpus).score(scores);
}
