import { readFile, writeFile } from 'node:fs/promises';

/** Samples in each batch that bench/ingest-processor.mjs builds. */
export const SAMPLES_PER_BATCH = 100;

/** Prefix of the custom metrics that bench/ingest-processor.mjs records for the measured phase. */
const MEASURED_PREFIX = 'ingest.measured';

/** A throughput below this share of the baseline prints a warning (and fails with --strict). */
export const BASELINE_WARNING_RATIO = 0.8;

/** Load settings that the figures depend on. A run is compared only with a baseline recorded with the same settings. */
export interface LoadSettings {
  warmUpSeconds: number;
  measuredSeconds: number;
  virtualUsers: number;
  agents: number;
}

/** Figures of the measured phase of one run. */
export interface IngestFigures {
  requestsPerSecond: number;
  /** Samples in batches that got a 202 response, per second of the measured phase. */
  samplesPerSecond: number;
  /** Request start to response end, in milliseconds. */
  latencyMs: { p50: number; p95: number; p99: number };
  /** Responses of the measured phase with a status other than 202. */
  non202Responses: number;
  /** Response counts of the measured phase by status code. */
  statusCounts: Record<string, number>;
  /** Requests of the whole run, warm-up included, that got no response (artillery's errors.* counters). */
  requestErrors: Record<string, number>;
  /** Responses 202 of the whole run, warm-up included: the batches the store must hold afterwards. */
  acceptedBatches: number;
}

interface ArtillerySummary {
  p50?: number;
  median?: number;
  p95?: number;
  p99?: number;
  count?: number;
}

interface ArtilleryReport {
  aggregate?: {
    counters?: Record<string, number>;
    summaries?: Record<string, ArtillerySummary>;
  };
}

/** Reads an artillery `--output` report and computes the figures of the measured phase. */
export async function readArtilleryReport(file: string, settings: LoadSettings): Promise<IngestFigures> {
  const report = JSON.parse(await readFile(file, 'utf8')) as ArtilleryReport;
  const counters = report.aggregate?.counters ?? {};
  const summaries = report.aggregate?.summaries ?? {};

  const statusPrefix = `${MEASURED_PREFIX}.status.`;
  const statusCounts: Record<string, number> = {};
  const requestErrors: Record<string, number> = {};
  for (const [name, count] of Object.entries(counters)) {
    if (name.startsWith(statusPrefix)) statusCounts[name.slice(statusPrefix.length)] = count;
    else if (name.startsWith('errors.')) requestErrors[name.slice('errors.'.length)] = count;
  }

  const responses = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  if (responses === 0) {
    throw new Error(`${file} has no ${statusPrefix}* counters: no request of the measured phase got a response (see artillery.log beside it)`);
  }
  const accepted = statusCounts['202'] ?? 0;
  const latency = summaries[`${MEASURED_PREFIX}.latency`] ?? {};

  return {
    requestsPerSecond: responses / settings.measuredSeconds,
    samplesPerSecond: (accepted * SAMPLES_PER_BATCH) / settings.measuredSeconds,
    latencyMs: { p50: latency.p50 ?? latency.median ?? NaN, p95: latency.p95 ?? NaN, p99: latency.p99 ?? NaN },
    non202Responses: responses - accepted,
    statusCounts,
    requestErrors,
    acceptedBatches: counters['http.codes.202'] ?? 0,
  };
}

/** One deployment's recorded figures in bench/baselines.json. */
export interface Baseline {
  samplesPerSecond: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number };
  settings: LoadSettings;
  /** Date of the run, YYYY-MM-DD. */
  recorded: string;
  /** CPU model, core count and memory of the machine that ran it. */
  machine: string;
}

/** bench/baselines.json: recorded figures per benchmark and deployment. */
export interface BaselineFile {
  ingest?: Record<string, Baseline>;
  [benchmark: string]: unknown;
}

export async function readBaselines(file: string): Promise<BaselineFile> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as BaselineFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read the baselines in ${file}: ${(error as Error).message}`);
  }
}

export async function writeBaselines(file: string, baselines: BaselineFile): Promise<void> {
  await writeFile(file, `${JSON.stringify(baselines, null, 2)}\n`);
}

/** Outcome of comparing a run with its baseline. */
export interface Comparison {
  /** Lines to print under the run's figures. */
  lines: string[];
  /** True when throughput is below BASELINE_WARNING_RATIO of a comparable baseline. */
  belowBaseline: boolean;
}

export function compareWithBaseline(deployment: string, figures: IngestFigures, settings: LoadSettings, baseline: Baseline | undefined): Comparison {
  if (!baseline) {
    return { lines: [`  no baseline for ${deployment}; record one with --record-baseline`], belowBaseline: false };
  }

  const differences = (Object.keys(settings) as Array<keyof LoadSettings>)
    .filter((key) => settings[key] !== baseline.settings[key])
    .map((key) => `${key} ${settings[key]} (baseline ${baseline.settings[key]})`);
  if (differences.length > 0) {
    return { lines: [`  not compared with the baseline, because the settings differ: ${differences.join(', ')}`], belowBaseline: false };
  }

  const ratio = figures.samplesPerSecond / baseline.samplesPerSecond;
  const lines = [
    `  baseline ${formatRate(baseline.samplesPerSecond)} samples/s (${baseline.recorded}, ${baseline.machine}): ratio ${ratio.toFixed(2)}`,
  ];
  const belowBaseline = ratio < BASELINE_WARNING_RATIO;
  if (belowBaseline) {
    lines.push(
      `WARNING: ${deployment} ingest throughput is ${Math.round(ratio * 100)} % of its baseline, below the ${Math.round(BASELINE_WARNING_RATIO * 100)} % threshold`,
    );
  }
  return { lines, belowBaseline };
}

export function toBaseline(figures: IngestFigures, settings: LoadSettings, machine: string, date: Date): Baseline {
  const round = (value: number): number => Math.round(value * 10) / 10;
  return {
    samplesPerSecond: Math.round(figures.samplesPerSecond),
    requestsPerSecond: round(figures.requestsPerSecond),
    latencyMs: { p50: round(figures.latencyMs.p50), p95: round(figures.latencyMs.p95), p99: round(figures.latencyMs.p99) },
    settings,
    recorded: date.toISOString().slice(0, 10),
    machine,
  };
}

/** Formats the figures of one run as indented lines. */
export function describeFigures(figures: IngestFigures): string[] {
  const { p50, p95, p99 } = figures.latencyMs;
  const lines = [
    `  ${formatRate(figures.requestsPerSecond)} requests/s, ${formatRate(figures.samplesPerSecond)} samples/s`,
    `  latency p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
    `  non-202 responses: ${figures.non202Responses}${figures.non202Responses > 0 ? ` (${describeCounts(figures.statusCounts, (status) => status !== '202')})` : ''}`,
  ];
  const errors = Object.values(figures.requestErrors).reduce((sum, count) => sum + count, 0);
  if (errors > 0) lines.push(`  requests without a response, warm-up included: ${errors} (${describeCounts(figures.requestErrors)})`);
  return lines;
}

function describeCounts(counts: Record<string, number>, include: (key: string) => boolean = () => true): string {
  return Object.entries(counts)
    .filter(([key]) => include(key))
    .map(([key, count]) => `${key}: ${count}`)
    .join(', ');
}

export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
