import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { type Baseline, compareWithBaseline, type IngestFigures, readArtilleryReport } from './report.js';

const settings = { warmUpSeconds: 15, measuredSeconds: 60, virtualUsers: 16, agents: 1000 };

/** The parts of an artillery 2.0.21 `--output` report that readArtilleryReport reads. */
const report = {
  aggregate: {
    counters: {
      'http.codes.202': 1_500,
      'http.codes.503': 30,
      'errors.ECONNRESET': 2,
      'ingest.measured.status.202': 1_200,
      'ingest.measured.status.503': 30,
      'vusers.created': 16,
    },
    summaries: {
      'ingest.measured.latency': { min: 3, max: 400, count: 1_230, p50: 41.7, median: 41.7, p95: 100.5, p99: 159.2 },
      'http.response_time': { min: 1, max: 400, count: 1_530, p50: 30, median: 30, p95: 90, p99: 150 },
    },
  },
  intermediate: [],
};

async function withReport<T>(content: unknown, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fleetpulse-report-test-'));
  try {
    const file = path.join(dir, 'report.json');
    await writeFile(file, JSON.stringify(content));
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

t.test('readArtilleryReport uses measured-phase metrics only', async (t) => {
  const figures = await withReport(report, (file) => readArtilleryReport(file, settings));
  t.equal(figures.requestsPerSecond, 1_230 / 60, 'responses of the measured phase per second');
  t.equal(figures.samplesPerSecond, (1_200 * 100) / 60, '202 responses times 100 samples per second');
  t.same(figures.latencyMs, { p50: 41.7, p95: 100.5, p99: 159.2 });
  t.equal(figures.non202Responses, 30);
  t.same(figures.statusCounts, { '202': 1_200, '503': 30 });
  t.same(figures.requestErrors, { ECONNRESET: 2 });
  t.equal(figures.acceptedBatches, 1_500, 'warm-up included, for the store check');
});

t.test('readArtilleryReport rejects reports without measured responses', async (t) => {
  const empty = { aggregate: { counters: { 'http.codes.202': 10 }, summaries: {} } };
  await t.rejects(
    withReport(empty, (file) => readArtilleryReport(file, settings)),
    /no ingest\.measured\.status\.\* counters/,
  );
});

t.test('compareWithBaseline warns below 80 percent', async (t) => {
  const baseline: Baseline = {
    samplesPerSecond: 10_000,
    requestsPerSecond: 100,
    latencyMs: { p50: 40, p95: 100, p99: 150 },
    settings,
    recorded: '2026-12-04',
    machine: 'test machine',
  };
  const figures = (samplesPerSecond: number): IngestFigures => ({
    requestsPerSecond: samplesPerSecond / 100,
    samplesPerSecond,
    latencyMs: { p50: 40, p95: 100, p99: 150 },
    non202Responses: 0,
    statusCounts: { '202': 1 },
    requestErrors: {},
    acceptedBatches: 1,
  });

  const at80 = compareWithBaseline('embedded', figures(8_000), settings, baseline);
  t.equal(at80.belowBaseline, false, 'exactly 80 % passes');
  t.match(at80.lines[0], /ratio 0\.80/);

  const at79 = compareWithBaseline('embedded', figures(7_900), settings, baseline);
  t.equal(at79.belowBaseline, true);
  t.match(at79.lines.at(-1), /^WARNING: embedded ingest throughput is 79 % of its baseline/);

  const otherSettings = compareWithBaseline('embedded', figures(1_000), { ...settings, virtualUsers: 8 }, baseline);
  t.equal(otherSettings.belowBaseline, false, 'a run with other settings is not compared');
  t.match(otherSettings.lines[0], /virtualUsers 8 \(baseline 16\)/);

  const missing = compareWithBaseline('distributed', figures(1_000), settings, undefined);
  t.equal(missing.belowBaseline, false);
  t.match(missing.lines[0], /no baseline for distributed/);
});
