/**
 * Query time of the latency heatmap in both stores: median and p95 of
 * `queryHeatmap` over one day at a 1-minute step, without and with a tag
 * filter, and of `queryHeatmapCell` for one cell, compared with
 * bench/baselines.json.
 *
 *   npm run bench:heatmap -- [--agents 1000] [--points 10000] [--runs 20] [--store duckdb|questdb|both]
 *                            [--strict] [--record-baseline] [--questdb-import-dir DIR]
 *
 * Both stores get the same rows (see heatmap/load.ts). Loading is timed
 * for information only. QuestDB's address comes from
 * FLEETPULSE_TEST_QUESTDB_PG (default 127.0.0.1:8812), and it must run on
 * this machine, because it reads the rows from a Parquet file in its import
 * directory. Its tables and the file are removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { silentLogger } from '../pipeline/log/logger.js';
import type { Heatmap, HeatmapReader } from '../pipeline/store/heatmap.js';
import { testServices, uniqueName } from '../pipeline/test-support/services.js';
import { duckdbConfigSchema } from '../sinks/duckdb/config.js';
import { DuckDBStore } from '../sinks/duckdb/duckdb-store.js';
import { questdbConfigSchema } from '../sinks/questdb/config.js';
import { QuestDBStore } from '../sinks/questdb/questdb-store.js';
import { readBaselines, writeBaselines } from './ingest/report.js';
import { DAY_MS, exportParquet, loadDuckDB, loadQuestDB, METRIC, questdbImportDir, type Workload } from './heatmap/load.js';
import { compareWithBaseline, type HeatmapBaseline, type HeatmapSettings, type QueryFigures, summarize, toBaseline } from './heatmap/report.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(benchDir);
const baselinesFile = path.join(benchDir, 'baselines.json');
const WARM_UP_RUNS = 2;
const DAY_START = Date.parse('2026-03-01T00:00:00Z');

type StoreName = 'duckdb' | 'questdb';

interface StoreRun {
  store: StoreName;
  loadSeconds: number;
  queries: Record<string, QueryFigures>;
  /** The last result of each heatmap query, to compare the stores. */
  heatmaps: Record<string, Heatmap>;
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      agents: { type: 'string', default: '1000' },
      points: { type: 'string', default: '10000' },
      runs: { type: 'string', default: '20' },
      store: { type: 'string', default: 'both' },
      strict: { type: 'boolean', default: false },
      'record-baseline': { type: 'boolean', default: false },
      'questdb-import-dir': { type: 'string' },
    },
  });
  const count = (name: 'agents' | 'points' | 'runs', max: number): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} must be an integer from 1 to ${max}, found ${JSON.stringify(values[name])}`);
    return value;
  };
  const settings: HeatmapSettings = { agents: count('agents', 100_000), points: count('points', 1_000_000), runs: count('runs', 1_000) };
  if (!['duckdb', 'questdb', 'both'].includes(values.store!)) throw new Error(`--store must be duckdb, questdb or both, found ${JSON.stringify(values.store)}`);
  const stores: StoreName[] = values.store === 'both' ? ['duckdb', 'questdb'] : [values.store as StoreName];
  return { settings, stores, strict: values.strict!, recordBaseline: values['record-baseline']!, importDir: values['questdb-import-dir'] };
}

/** Returns the timed queries: a day at a 1-minute step without and with a tag filter, and one cell's agents at noon. */
function timedQueries(store: HeatmapReader): Record<string, () => Promise<Heatmap | unknown>> {
  const day = { metric: METRIC, from: DAY_START, to: DAY_START + DAY_MS, step: 60_000 };
  const noon = DAY_START + DAY_MS / 2;
  return {
    'day at 1m': () => store.queryHeatmap(day),
    'day at 1m, env=prod': () => store.queryHeatmap({ ...day, filter: { tags: { env: 'prod' } } }),
    // Bucket 14 is [25.1, 31.6) ms, near the median of the values.
    'cell agents': () => store.queryHeatmapCell({ metric: METRIC, from: noon, to: noon + 60_000, bucket: 14, limit: 101 }),
  };
}

async function timeQueries(store: HeatmapReader, runs: number): Promise<Pick<StoreRun, 'queries' | 'heatmaps'>> {
  const queries: Record<string, QueryFigures> = {};
  const heatmaps: Record<string, Heatmap> = {};
  for (const [name, run] of Object.entries(timedQueries(store))) {
    for (let i = 0; i < WARM_UP_RUNS; i++) await run();
    const durations: number[] = [];
    let result: unknown;
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      result = await run();
      durations.push(performance.now() - started);
    }
    queries[name] = summarize(durations);
    if (result && typeof result === 'object' && 'cells' in result) heatmaps[name] = result as Heatmap;
  }
  return { queries, heatmaps };
}

/** Loads the rows into DuckDB, exports them to `parquetFile` when given, and times the queries when `timed` is set. */
async function benchDuckDB(workload: Workload, settings: HeatmapSettings, file: string, parquetFile: string | undefined, timed: boolean): Promise<StoreRun | undefined> {
  // init creates the tables the loader fills.
  const created = new DuckDBStore({ config: duckdbConfigSchema.parse({ path: file }), logger: silentLogger });
  await created.init();
  await created.close();

  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  const started = performance.now();
  await loadDuckDB(connection, workload);
  await connection.run('CHECKPOINT');
  const loadSeconds = (performance.now() - started) / 1_000;
  if (parquetFile) await exportParquet(connection, parquetFile);
  connection.closeSync();
  instance.closeSync();
  if (!timed) return undefined;

  const store = new DuckDBStore({ config: duckdbConfigSchema.parse({ path: file }), logger: silentLogger });
  await store.init();
  try {
    return { store: 'duckdb', loadSeconds, ...(await timeQueries(store, settings.runs)) };
  } finally {
    await store.close();
  }
}

async function benchQuestDB(workload: Workload, settings: HeatmapSettings, parquetName: string): Promise<StoreRun> {
  const config = questdbConfigSchema.parse({ pg: testServices.questdbPg, http: testServices.questdbHttp, table_prefix: `${uniqueName('bench')}_`, request_timeout: '120s' });
  const store = new QuestDBStore({ config, logger: silentLogger });
  const client = new pg.Client({ connectionString: config.pg });
  await client.connect();
  try {
    await store.init();
    const started = performance.now();
    await loadQuestDB(client, store.tables.metrics, parquetName);
    while ((await store.pendingWalTransactions()) > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    const loadSeconds = (performance.now() - started) / 1_000;

    const expected = workload.agents * workload.points;
    const stored = Number((await client.query<{ count: string }>(`SELECT count() AS count FROM ${store.tables.metrics}`)).rows[0]!.count);
    if (stored !== expected) throw new Error(`questdb: stored ${stored} rows, expected ${expected}`);
    return { store: 'questdb', loadSeconds, ...(await timeQueries(store, settings.runs)) };
  } finally {
    await store.close();
    for (const table of Object.values(store.tables)) await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  }
}

/** Throws when a store's heatmap lost samples, and returns per query the number of cells in which the stores differ. */
function checkResults(runs: StoreRun[], workload: Workload): string[] {
  const lines: string[] = [];
  const expected = workload.agents * workload.points;
  for (const run of runs) {
    const total = run.heatmaps['day at 1m']?.total;
    if (total !== expected) throw new Error(`${run.store}: the unfiltered heatmap counts ${total} samples, expected ${expected}`);
  }
  if (runs.length < 2) return lines;

  const [first, second] = runs as [StoreRun, StoreRun];
  for (const name of Object.keys(first.heatmaps)) {
    const cellsOf = (heatmap: Heatmap | undefined) => new Map((heatmap?.cells ?? []).map((cell) => [`${cell.time}/${cell.bucket}`, cell.count]));
    const a = cellsOf(first.heatmaps[name]);
    const b = cellsOf(second.heatmaps[name]);
    let differing = 0;
    for (const key of new Set([...a.keys(), ...b.keys()])) if (a.get(key) !== b.get(key)) differing++;
    // NOTE: a value within rounding error of a bucket bound can land in different buckets, because each engine rounds log10 its own way.
    lines.push(`${name}: ${a.size} cells; ${differing === 0 ? 'identical in both stores' : `${differing} cells differ between the stores`}`);
  }
  return lines;
}

function describeMachine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`;
}

async function main(): Promise<number> {
  const options = parseOptions();
  const { settings } = options;
  const workload: Workload = { agents: settings.agents, points: settings.points, dayStart: DAY_START };
  const startedAt = new Date();
  const runs: StoreRun[] = [];

  const dir = await mkdtemp(path.join(os.tmpdir(), 'fleetpulse-bench-heatmap-'));
  let parquetFile: string | undefined;
  try {
    if (options.stores.includes('questdb')) {
      const client = new pg.Client({ connectionString: testServices.questdbPg });
      await client.connect();
      const importDir = await questdbImportDir(client, options.importDir, repoRoot).finally(() => client.end());
      parquetFile = path.join(importDir, `${uniqueName('fleetpulse_heatmap')}.parquet`);
    }

    // DuckDB generates the rows, so it loads them even when only QuestDB is timed.
    const duckdb = await benchDuckDB(workload, settings, path.join(dir, 'bench.duckdb'), parquetFile, options.stores.includes('duckdb'));
    if (duckdb) runs.push(duckdb);
    if (parquetFile) runs.push(await benchQuestDB(workload, settings, path.basename(parquetFile)));
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (parquetFile) await rm(parquetFile, { force: true });
  }

  const samples = (settings.agents * settings.points).toLocaleString('en-US');
  console.log(`\nHeatmap benchmark, ${startedAt.toISOString().slice(0, 10)}, ${describeMachine()}, Node ${process.version}`);
  console.log(`${samples} samples of ${METRIC}: ${settings.agents} agents x ${settings.points} points over one day; ${settings.runs} timed runs per query after ${WARM_UP_RUNS} warm-up runs`);
  console.log(`1-minute load average at the start: ${os.loadavg()[0]!.toFixed(1)}`);
  for (const line of checkResults(runs, workload)) console.log(line);

  const baselines = await readBaselines(baselinesFile);
  const recorded = (baselines.heatmap ?? {}) as Record<string, HeatmapBaseline>;
  let slower = false;
  for (const run of runs) {
    console.log(`${run.store}: loaded in ${run.loadSeconds.toFixed(1)} s (not a figure)`);
    for (const [name, figures] of Object.entries(run.queries)) console.log(`  ${name}: median ${figures.medianMs} ms, p95 ${figures.p95Ms} ms`);
    const comparison = compareWithBaseline(run.store, run.queries, settings, recorded[run.store]);
    for (const line of comparison.lines) console.log(line);
    slower ||= comparison.slower;
  }

  if (options.recordBaseline) {
    const heatmap = { ...recorded };
    for (const run of runs) heatmap[run.store] = toBaseline(run.queries, settings, describeMachine(), startedAt);
    await writeBaselines(baselinesFile, { ...baselines, heatmap });
    console.log(`recorded the figures as baselines in ${path.relative(repoRoot, baselinesFile)}`);
  }
  return slower && options.strict ? 1 : 0;
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    console.error(`bench:heatmap: ${(error as Error).message}`);
    process.exitCode = 1;
  },
);
