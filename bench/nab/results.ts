/**
 * NAB result files: for each data file `<category>/<name>.csv`, a detector
 * writes `<detector>/<category>/<detector>_<name>.csv` with the columns
 * timestamp,value,anomaly_score,label, as NAB's detectors do. NAB's scorer
 * adds S(t)_<profile> columns, which reading ignores: it uses only timestamp
 * and anomaly_score.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { columnIndex, labelRows, parseCsv, parseNumber, type Corpus, type DataFile } from './corpus.js';
import type { DetectorScores } from './scorer.js';

/** Returns the path of a detector's result file for one data file, under `resultsDir`. */
export function resultPath(resultsDir: string, detector: string, file: DataFile): string {
  return path.join(resultsDir, detector, file.category, `${detector}_${file.name}.csv`);
}

/**
 * Writes one result file: the data file's rows with the detector's anomaly
 * scores and the window labels. Scores are written with JavaScript's shortest
 * round-trip form, so reading the file back gives the same doubles.
 */
export async function writeResultFile(resultsDir: string, detector: string, file: DataFile, anomalyScores: ArrayLike<number>): Promise<string> {
  if (anomalyScores.length !== file.timestamps.length) {
    throw new Error(`${anomalyScores.length} anomaly scores for the ${file.timestamps.length} rows of ${file.relativePath}`);
  }
  const labels = labelRows(file);
  const lines = ['timestamp,value,anomaly_score,label'];
  for (let index = 0; index < labels.length; index++) {
    lines.push(`${file.timestampText[index]},${file.values[index]},${anomalyScores[index]},${labels[index]}`);
  }
  const target = resultPath(resultsDir, detector, file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, `${lines.join('\n')}\n`);
  return target;
}

/**
 * Reads a detector's anomaly scores for every data file of the corpus. Throws
 * when a result file is missing, has no anomaly_score column, contains a value
 * that is not a number, or has another number of rows or other timestamps
 * than its data file.
 */
export async function readResultFiles(resultsDir: string, detector: string, corpus: Corpus): Promise<DetectorScores> {
  const scores = new Map<string, Float64Array>();
  await Promise.all(
    corpus.files.map(async (file) => {
      const source = resultPath(resultsDir, detector, file);
      const { header, rows } = parseCsv(await readFile(source, 'utf8'), source);
      const scoreColumn = columnIndex(header, 'anomaly_score', source);
      const timeColumn = columnIndex(header, 'timestamp', source);
      if (rows.length !== file.timestamps.length) {
        throw new Error(`${source} has ${rows.length} rows, but ${file.relativePath} has ${file.timestamps.length}`);
      }
      const fileScores = new Float64Array(rows.length);
      rows.forEach((row, index) => {
        if (row[timeColumn] !== file.timestampText[index]) {
          throw new Error(`${source} line ${index + 2}: timestamp ${row[timeColumn]} differs from ${file.timestampText[index]} in ${file.relativePath}`);
        }
        fileScores[index] = parseNumber(row[scoreColumn] ?? '', source, index + 2);
      });
      scores.set(file.relativePath, fileScores);
    }),
  );
  return scores;
}
