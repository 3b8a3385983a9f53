/**
 * NAB's scoring rules, ported from nab/sweeper.py of the NAB repository
 * (github.com/numenta/NAB, commit ea702d7): the weight of each row relative to
 * the anomaly windows, and the sweep of thresholds over the anomaly scores.
 *
 * A detection is a row whose anomaly score is at or above the threshold.
 * Within a window only the best-weighted detection counts, which is the
 * earliest one because the weight falls along the window. A window without a
 * detection costs `fnWeight`. Every detection outside a window adds its
 * (negative) weight times `fpWeight`. Rows of the probationary period are not
 * scored.
 */
import type { AnomalyWindow, CostMatrix } from './corpus.js';

/** Share of each file's rows, from its start, that NAB does not score. */
export const PROBATIONARY_PERCENT = 0.15;

/** Returns the number of rows at the start of a file that NAB does not score: 15% of the rows, at most 750. */
export function probationaryLength(rowCount: number, percent = PROBATIONARY_PERCENT): number {
  return Math.min(Math.floor(percent * rowCount), percent * 5000);
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Returns NAB's weight for a detection at `position` relative to a window:
 * -1 is the window's left edge (weight 2 * sigmoid(5) - 1 = 0.98661), 0 its
 * right edge (weight 0), and positive positions are false positives after the
 * window, down to -1 beyond 3 window lengths.
 */
export function scaledSigmoid(position: number): number {
  if (position > 3) return -1;
  return 2 * sigmoid(-5 * position) - 1;
}

/** Window id of a row outside every window. */
export const NO_WINDOW = -1;

/**
 * The scorable rows of one file (those after the probationary period): each
 * row's anomaly score, its weight if it were a detection (`sweepScore`) and
 * the window it lies in. Window ids run from `firstWindowId`, one per window
 * with at least one scorable row.
 */
export interface SweepRows {
  anomalyScores: Float64Array;
  sweepScores: Float64Array;
  /** Window id of each row, or NO_WINDOW. */
  windowIds: Int32Array;
  /** Number of window ids used: the ids are firstWindowId to firstWindowId + windowCount - 1. */
  windowCount: number;
}

/**
 * Computes the weight of every row of one file as a detection, as NAB's
 * `Sweeper.calcSweepScore` does, and drops the probationary rows.
 *
 * Inside a window of width w rows whose right edge is row r, row i weighs
 * scaledSigmoid(-(r - i + 1) / w) * tpWeight / scaledSigmoid(-1). After a
 * window, row i weighs scaledSigmoid(|r - i| / (w - 1)) * fpWeight, and before
 * the first window -fpWeight. A window edge is the first row with the edge's
 * timestamp, as with Python's list.index. Throws when an edge matches no row.
 */
export function sweepRows(
  timestamps: Float64Array,
  anomalyScores: ArrayLike<number>,
  windows: readonly AnomalyWindow[],
  cost: CostMatrix,
  firstWindowId = 0,
  probationaryPercent = PROBATIONARY_PERCENT,
): SweepRows {
  const rowCount = timestamps.length;
  if (anomalyScores.length !== rowCount) {
    throw new Error(`${anomalyScores.length} anomaly scores for ${rowCount} timestamps: a result file needs one score per data row`);
  }

  const firstRowOf = new Map<number, number>();
  for (let index = rowCount - 1; index >= 0; index--) firstRowOf.set(timestamps[index]!, index);
  const rowOf = (time: number): number => {
    const row = firstRowOf.get(time);
    if (row === undefined) throw new Error(`the window edge ${new Date(time).toISOString()} matches no row of the data file`);
    return row;
  };

  const maxTruePositive = scaledSigmoid(-1);
  const probation = probationaryLength(rowCount, probationaryPercent);
  const scorable = Math.max(0, rowCount - Math.ceil(probation));
  const result: SweepRows = {
    anomalyScores: new Float64Array(scorable),
    sweepScores: new Float64Array(scorable),
    windowIds: new Int32Array(scorable),
    windowCount: 0,
  };

  let pending = 0;
  let current: AnomalyWindow | undefined;
  let currentId = NO_WINDOW;
  let currentRight = 0;
  let currentWidth = 0;
  let previousRight: number | undefined;
  let previousWidth = 0;
  let out = 0;

  for (let index = 0; index < rowCount; index++) {
    const time = timestamps[index]!;
    const next = windows[pending];
    if (next !== undefined && time === next.start) {
      pending++;
      current = next;
      currentId = NO_WINDOW;
      currentRight = rowOf(next.end);
      currentWidth = currentRight - rowOf(next.start) + 1;
    }

    let sweepScore: number;
    if (current !== undefined) {
      sweepScore = (scaledSigmoid(-(currentRight - index + 1) / currentWidth) * cost.tpWeight) / maxTruePositive;
    } else if (previousRight === undefined) {
      sweepScore = -1 * cost.fpWeight;
    } else {
      sweepScore = scaledSigmoid(Math.abs(previousRight - index) / (previousWidth - 1)) * cost.fpWeight;
    }

    if (index >= probation) {
      if (current !== undefined && currentId === NO_WINDOW) currentId = firstWindowId + result.windowCount++;
      result.anomalyScores[out] = anomalyScores[index]!;
      result.sweepScores[out] = sweepScore;
      result.windowIds[out] = current === undefined ? NO_WINDOW : currentId;
      out++;
    }

    if (current !== undefined && time === current.end) {
      previousRight = index;
      previousWidth = currentWidth;
      current = undefined;
    }
  }
  return result;
}

/** The outcome of one threshold: the raw NAB score and the row counts, as in NAB's `ThresholdScore`. */
export interface ThresholdScore {
  threshold: number;
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  total: number;
}

/** Concatenates the scorable rows of several files, whose window ids must not overlap. */
export function concatRows(parts: readonly SweepRows[]): SweepRows {
  const length = parts.reduce((sum, part) => sum + part.anomalyScores.length, 0);
  const result: SweepRows = {
    anomalyScores: new Float64Array(length),
    sweepScores: new Float64Array(length),
    windowIds: new Int32Array(length),
    windowCount: parts.reduce((sum, part) => sum + part.windowCount, 0),
  };
  let offset = 0;
  for (const part of parts) {
    result.anomalyScores.set(part.anomalyScores, offset);
    result.sweepScores.set(part.sweepScores, offset);
    result.windowIds.set(part.windowIds, offset);
    offset += part.anomalyScores.length;
  }
  return result;
}

/**
 * Returns the score of every distinct threshold over `rows`, from 1.1 (no
 * detection) down to the lowest anomaly score (every row a detection), as
 * NAB's `Sweeper.calcScoreByThreshold` does. The entry for threshold t counts
 * every row with anomaly score >= t as a detection. Window ids must lie in
 * [0, windowCount) after subtracting the smallest id present.
 */
export function scoreByThreshold(rows: SweepRows, cost: CostMatrix): ThresholdScore[] {
  const length = rows.anomalyScores.length;
  const order = new Uint32Array(length);
  for (let index = 0; index < length; index++) order[index] = index;
  order.sort((a, b) => rows.anomalyScores[b]! - rows.anomalyScores[a]!);

  let baseId = Number.POSITIVE_INFINITY;
  let topId = Number.NEGATIVE_INFINITY;
  for (const id of rows.windowIds) {
    if (id === NO_WINDOW) continue;
    baseId = Math.min(baseId, id);
    topId = Math.max(topId, id);
  }
  const windowSlots = Number.isFinite(baseId) ? topId - baseId + 1 : 0;
  // Each window starts as a miss (-fnWeight). Only windows with a scorable row take part.
  const windowScores = new Float64Array(windowSlots).fill(Number.NaN);
  let windowTotal = 0;
  let fn = 0;
  let tn = 0;
  for (const id of rows.windowIds) {
    if (id === NO_WINDOW) {
      tn++;
      continue;
    }
    fn++;
    if (Number.isNaN(windowScores[id - baseId]!)) {
      windowScores[id - baseId] = -cost.fnWeight;
      windowTotal -= cost.fnWeight;
    }
  }

  const scores: ThresholdScore[] = [];
  let threshold = 1.1;
  let fpTotal = 0;
  let tp = 0;
  let fp = 0;
  for (const index of order) {
    const anomalyScore = rows.anomalyScores[index]!;
    if (anomalyScore !== threshold) {
      scores.push({ threshold, score: fpTotal + windowTotal, tp, tn, fp, fn, total: tp + tn + fp + fn });
      threshold = anomalyScore;
    }
    const id = rows.windowIds[index]!;
    const sweepScore = rows.sweepScores[index]!;
    if (id === NO_WINDOW) {
      fp++;
      tn--;
      fpTotal += sweepScore;
    } else {
      tp++;
      fn--;
      const slot = id - baseId;
      if (sweepScore > windowScores[slot]!) {
        windowTotal += sweepScore - windowScores[slot]!;
        windowScores[slot] = sweepScore;
      }
    }
  }
  scores.push({ threshold, score: fpTotal + windowTotal, tp, tn, fp, fn, total: tp + tn + fp + fn });
  return scores;
}

/**
 * Returns the threshold with the highest score, as NAB's optimizer does: a
 * stable sort by score, so among equal scores the highest threshold wins.
 */
export function bestThreshold(scores: readonly ThresholdScore[]): ThresholdScore {
  let best = scores[0];
  if (best === undefined) throw new Error('no threshold to choose from: the sweep had no rows');
  for (const entry of scores) if (entry.score > best.score) best = entry;
  return best;
}

/**
 * Scores one file's rows at a fixed threshold, as NAB's `Sweeper.scoreDataSet`
 * does: every row with anomaly score >= threshold is a detection.
 */
export function scoreAtThreshold(rows: SweepRows, cost: CostMatrix, threshold: number): ThresholdScore {
  const best = new Map<number, number>();
  let score = 0;
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  for (let index = 0; index < rows.anomalyScores.length; index++) {
    const id = rows.windowIds[index]!;
    const detected = rows.anomalyScores[index]! >= threshold;
    if (id === NO_WINDOW) {
      if (detected) {
        fp++;
        score += rows.sweepScores[index]!;
      } else {
        tn++;
      }
      continue;
    }
    if (!best.has(id)) best.set(id, -cost.fnWeight);
    if (detected) {
      tp++;
      best.set(id, Math.max(best.get(id)!, rows.sweepScores[index]!));
    } else {
      fn++;
    }
  }
  for (const windowScore of best.values()) score += windowScore;
  return { threshold, score, tp, tn, fp, fn, total: tp + tn + fp + fn };
}
