/**
 * Loading of the Numenta Anomaly Benchmark (NAB) corpus: the data files, the
 * anomaly windows of labels/combined_windows.json and the cost profiles of
 * config/profiles.json, in the layout of the NAB repository (github.com/numenta/NAB).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The NAB corpus folder: the `NAB_DATA_DIR` environment variable, or the default path below. */
export const NAB_DATA_DIR = process.env.NAB_DATA_DIR ?? path.resolve(repoRoot, '..', 'shared', 'data', 'nab');

/** Folder of the detectors' result files: `NAB_RESULTS_DIR`, or the git-ignored `bench/results/nab`. */
export const NAB_RESULTS_DIR = process.env.NAB_RESULTS_DIR ?? path.join(repoRoot, 'bench', 'results', 'nab');

/** The weights of one NAB cost profile (`CostMatrix` in config/profiles.json). */
export interface CostMatrix {
  tpWeight: number;
  fnWeight: number;
  fpWeight: number;
  tnWeight: number;
}

export type Profiles = Record<string, CostMatrix>;

/** An anomaly window: times in milliseconds since the epoch, both ends included. */
export interface AnomalyWindow {
  start: number;
  end: number;
}

/** One data file of the corpus. */
export interface DataFile {
  /** Path under data/, such as `realKnownCause/nyc_taxi.csv`; NAB's key for the file. */
  relativePath: string;
  /** Folder under data/, such as `realKnownCause`. */
  category: string;
  /** File name without `.csv`, such as `nyc_taxi`. */
  name: string;
  /** The timestamp column as written in the file. */
  timestampText: string[];
  /** Timestamps in milliseconds since the epoch, read as UTC. */
  timestamps: Float64Array;
  values: Float64Array;
  /** The file's anomaly windows in time order; empty for a file without anomalies. */
  windows: AnomalyWindow[];
}

export interface Corpus {
  dataDir: string;
  /** Data files sorted by relative path. */
  files: DataFile[];
  profiles: Profiles;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/**
 * Parses a NAB timestamp (`2014-04-01 00:05:00`, optionally with a fraction of
 * a second as in the label files) to milliseconds since the epoch, as UTC.
 * Throws when the text has another form.
 */
export function parseTimestamp(text: string): number {
  const match = TIMESTAMP.exec(text);
  if (!match) throw new Error(`invalid NAB timestamp ${JSON.stringify(text)}: expected YYYY-MM-DD HH:MM:SS[.ffffff]`);
  const [, year, month, day, hour, minute, second, fraction] = match;
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  return Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), ms);
}

/** Splits a CSV file into its header and rows at commas, because NAB's files have no quoted fields. */
export function parseCsv(text: string, source: string): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  const headerLine = lines[0];
  if (headerLine === undefined) throw new Error(`${source} is empty: expected a CSV header`);
  return { header: headerLine.split(','), rows: lines.slice(1).map((line) => line.split(',')) };
}

/** Returns the position of `name` in a CSV header, and throws when the column is missing. */
export function columnIndex(header: string[], name: string, source: string): number {
  const index = header.indexOf(name);
  if (index < 0) throw new Error(`${source} has no ${name} column (header: ${header.join(',')})`);
  return index;
}

/** Parses a numeric CSV field, and throws when it is not a finite number. */
export function parseNumber(text: string, source: string, line: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`${source} line ${line}: invalid number ${JSON.stringify(text)}`);
  return value;
}

/** Reads data/<category>/<name>.csv: `timestamp,value` rows. */
async function readDataFile(dataDir: string, relativePath: string, windows: AnomalyWindow[]): Promise<DataFile> {
  const source = path.join(dataDir, 'data', relativePath);
  const { header, rows } = parseCsv(await readFile(source, 'utf8'), source);
  const timeColumn = columnIndex(header, 'timestamp', source);
  const valueColumn = columnIndex(header, 'value', source);

  const timestampText: string[] = [];
  const timestamps = new Float64Array(rows.length);
  const values = new Float64Array(rows.length);
  rows.forEach((row, index) => {
    const text = row[timeColumn] ?? '';
    timestampText.push(text);
    timestamps[index] = parseTimestamp(text);
    values[index] = parseNumber(row[valueColumn] ?? '', source, index + 2);
  });

  const [category = '', fileName = ''] = relativePath.split('/');
  return { relativePath, category, name: fileName.replace(/\.csv$/, ''), timestampText, timestamps, values, windows };
}

/** Reads labels/combined_windows.json: relative path to a list of [start, end] timestamp pairs. */
async function readWindows(dataDir: string): Promise<Map<string, AnomalyWindow[]>> {
  const source = path.join(dataDir, 'labels', 'combined_windows.json');
  const raw = JSON.parse(await readFile(source, 'utf8')) as Record<string, [string, string][]>;
  const windows = new Map<string, AnomalyWindow[]>();
  for (const [relativePath, pairs] of Object.entries(raw)) {
    windows.set(
      relativePath,
      pairs.map(([start, end]) => ({ start: parseTimestamp(start), end: parseTimestamp(end) })),
    );
  }
  return windows;
}

/** Reads config/profiles.json: profile name to `{ CostMatrix }`. */
async function readProfiles(dataDir: string): Promise<Profiles> {
  const source = path.join(dataDir, 'config', 'profiles.json');
  const raw = JSON.parse(await readFile(source, 'utf8')) as Record<string, { CostMatrix: CostMatrix }>;
  const profiles: Profiles = {};
  for (const [name, profile] of Object.entries(raw)) profiles[name] = profile.CostMatrix;
  return profiles;
}

/**
 * Loads the corpus under `dataDir`: every data/<category>/<name>.csv, each with
 * its windows, and the profiles. Throws when a data file has no entry in
 * combined_windows.json, because NAB scores only labeled files.
 */
export async function loadCorpus(dataDir = NAB_DATA_DIR): Promise<Corpus> {
  let categories: string[];
  try {
    categories = (await readdir(path.join(dataDir, 'data'), { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    throw new Error(`failed to read the NAB corpus at ${dataDir} (${(error as Error).message}): set NAB_DATA_DIR to the folder that contains data/, labels/ and config/`);
  }

  const windows = await readWindows(dataDir);
  const relativePaths: string[] = [];
  for (const category of categories) {
    for (const fileName of await readdir(path.join(dataDir, 'data', category))) {
      if (fileName.endsWith('.csv')) relativePaths.push(`${category}/${fileName}`);
    }
  }
  relativePaths.sort();

  const files = await Promise.all(
    relativePaths.map((relativePath) => {
      const fileWindows = windows.get(relativePath);
      if (fileWindows === undefined) throw new Error(`labels/combined_windows.json has no entry for ${relativePath}`);
      return readDataFile(dataDir, relativePath, fileWindows);
    }),
  );
  return { dataDir, files, profiles: await readProfiles(dataDir) };
}

/** Returns 1 for each row whose time lies in one of the file's windows (ends included), else 0: the `label` column of a result file. */
export function labelRows(file: DataFile): Uint8Array {
  const labels = new Uint8Array(file.timestamps.length);
  for (let index = 0; index < labels.length; index++) {
    const time = file.timestamps[index]!;
    if (file.windows.some((window) => time >= window.start && time <= window.end)) labels[index] = 1;
  }
  return labels;
}
