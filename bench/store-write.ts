/**
 * Write throughput of the two stores: samples per second through
 * `Store.writeSamples`, measured from the first call to the last resolved one.
 *
 *   npx tsx bench/store-write.ts [--samples 500000] [--per-write 10000] [--store duckdb|questdb|both] [--duckdb-threads 1]
 *
 * The workload is a fleet of 500 agents, each batch carrying 100 samples
 * (20 metrics, 5 label sets each, like per-core CPU) with two tags, so the
 * DuckDB store meets 50,000 distinct series. QuestDB is taken from
 * FLEETPULSE_TEST_QUESTDB_HTTP and FLEETPULSE_TEST_QUESTDB_PG (default ports
 * on 127.0.0.1), and its tables are dropped afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { silentLogger } from '../pipeline/log/logger.js';
import type { IngestedBatch } from '../pipeline/messages/metric-batch.js';
import type { Store } from '../pipeline/store/store.js';
import { testServices, uniqueName } from '../pipeline/test-support/services.js';
import { duckdbConfigSchema } from '../sinks/duckdb/config.js';
import { DuckDBStore } from '../sinks/duckdb/duckdb-store.js';
import { questdbConfigSchema } from '../sinks/questdb/config.js';
import { QuestDBStore } from '../sinks/questdb/questdb-store.js';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '500000' },
    'per-write': { type: 'string', default: '10000' },
    store: { type: 'string', default: 'both' },
    'duckdb-threads': { type: 'string', default: '1' },
  },
});

const TOTAL_SAMPLES = Number(args.samples);
const SAMPLES_PER_WRITE = Number(args['per-write']);
const SAMPLES_PER_BATCH = 100;
const AGENTS = 500;
const START = Date.parse('2026-03-01T00:00:00Z');

/** Builds the writes up front, so that the timing covers the store alone. */
function makeWrites(): IngestedBatch[][] {
  const writes: IngestedBatch[][] = [];
  let batchNumber = 0;
  for (let written = 0; written < TOTAL_SAMPLES; written += SAMPLES_PER_WRITE) {
    const batches: IngestedBatch[] = [];
    for (let inWrite = 0; inWrite < SAMPLES_PER_WRITE && written + inWrite < TOTAL_SAMPLES; inWrite += SAMPLES_PER_BATCH) {
      const agent = batchNumber % AGENTS;
      // Each agent reports once per 10 s round, so timestamps never repeat within a series.
      const ts = START + Math.floor(batchNumber / AGENTS) * 10_000;
      batchNumber++;
      batches.push({
        version: 1,
        agentId: `agent-${agent}`,
        tags: { env: agent % 2 === 0 ? 'prod' : 'staging', region: `region-${agent % 7}` },
        receivedAt: ts + 150,
        samples: Array.from({ length: SAMPLES_PER_BATCH }, (_, i) => ({
          metric: `metric_${i % 20}`,
          value: (i * 7.3 + batchNumber) % 100,
          ts,
          labels: { core: String(Math.floor(i / 20)) },
        })),
      });
    }
    writes.push(batches);
  }
  return writes;
}

/** Row count and value sum that the store must hold after the run. */
function expectedTotals(writes: IngestedBatch[][]): { count: number; sum: number } {
  let count = 0;
  let sum = 0;
  for (const batches of writes) {
    for (const batch of batches) {
      for (const sample of batch.samples) {
        count++;
        sum += sample.value;
      }
    }
  }
  return { count, sum };
}

/** Fails the run when the stored rows differ from what was written, so a fast but wrong store cannot pass. */
function checkTotals(name: string, found: { count: number; sum: number }, expected: { count: number; sum: number }): void {
  const sumMatches = Math.abs(found.sum - expected.sum) <= 1e-9 * Math.abs(expected.sum);
  if (found.count !== expected.count || !sumMatches) {
    throw new Error(`${name}: stored ${found.count} rows with value sum ${found.sum}, expected ${expected.count} rows with sum ${expected.sum}`);
  }
  console.log(`${name}: verified ${found.count} rows and their value sum`);
}

/**
 * Prints samples per second of wall time and per second of this process's
 * CPU time (all its threads, DuckDB's workers included). The CPU figure stays
 * meaningful on a machine shared with other work; for QuestDB it leaves out
 * the server's own CPU time.
 */
async function measure(name: string, store: Store, writes: IngestedBatch[][]): Promise<void> {
  const samples = writes.reduce((sum, batches) => sum + batches.reduce((n, batch) => n + batch.samples.length, 0), 0);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const batches of writes) await store.writeSamples(batches);
  const seconds = (performance.now() - started) / 1_000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;

  const rate = (per: number): string => Math.round(samples / per).toLocaleString('en-US');
  console.log(
    `${name}: ${samples} samples in ${seconds.toFixed(2)} s = ${rate(seconds)} samples/s; ` +
      `${cpuSeconds.toFixed(2)} s of CPU = ${rate(cpuSeconds)} samples per CPU second (${SAMPLES_PER_WRITE} samples per write)`,
  );
}

async function benchDuckDB(writes: IngestedBatch[][]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-bench-'));
  try {
    const config = duckdbConfigSchema.parse({ path: join(dir, 'bench.duckdb'), threads: Number(args['duckdb-threads']) });
    const store = new DuckDBStore({ config, logger: silentLogger });
    await store.init();
    await measure(`duckdb (threads=${config.threads})`, store, writes);
    await store.close();

    const instance = await DuckDBInstance.create(config.path);
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll('SELECT count(*)::BIGINT, sum(value) FROM samples');
    const [count, sum] = reader.getRowsJS()[0]!;
    connection.closeSync();
    instance.closeSync();
    checkTotals('duckdb', { count: Number(count), sum: sum as number }, expectedTotals(writes));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchQuestDB(writes: IngestedBatch[][]): Promise<void> {
  const config = questdbConfigSchema.parse({ http: testServices.questdbHttp, pg: testServices.questdbPg, table_prefix: `${uniqueName('bench')}_` });
  const store = new QuestDBStore({ config, logger: silentLogger });
  await store.init();
  try {
    await measure('questdb (acknowledged)', store, writes);
    const started = performance.now();
    while ((await store.pendingWalTransactions()) > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    console.log(`questdb: WAL applied ${((performance.now() - started) / 1_000).toFixed(2)} s after the last acknowledgement`);

    const client = new pg.Client({ connectionString: config.pg });
    await client.connect();
    const result = await client.query<{ count: string; sum: number }>(`SELECT count() AS count, sum(value) AS sum FROM ${store.tables.metrics}`);
    await client.end();
    checkTotals('questdb', { count: Number(result.rows[0]!.count), sum: result.rows[0]!.sum }, expectedTotals(writes));
  } finally {
    await store.close();
    const client = new pg.Client({ connectionString: config.pg });
    await client.connect();
    for (const table of Object.values(store.tables)) await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  }
}

const writes = makeWrites();
if (args.store === 'duckdb' || args.store === 'both') await benchDuckDB(writes);
if (args.store === 'questdb' || args.store === 'both') await benchQuestDB(writes);
