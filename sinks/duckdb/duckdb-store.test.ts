import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { silentLogger } from '../../pipeline/log/logger.js';
import type { IngestedBatch } from '../../pipeline/messages/metric-batch.js';
import { storeContract } from '../store-contract.js';
import { duckdbConfigSchema } from './config.js';
import { DuckDBStore } from './duckdb-store.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const WHOLE_DAY = { from: T0 - 86_400_000, to: T0 + 86_400_000 };

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-duckdb-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function openStore(path: string): DuckDBStore {
  return new DuckDBStore({ config: duckdbConfigSchema.parse({ path }), logger: silentLogger });
}

function batch(agentId: string, samples: Array<[metric: string, value: number, ts: number, labels?: Record<string, string>]>): IngestedBatch {
  return {
    version: 1,
    agentId,
    tags: { env: 'prod' },
    receivedAt: T0,
    samples: samples.map(([metric, value, ts, labels]) => ({ metric, value, ts, labels: labels ?? {} })),
  };
}

storeContract(t, async (t) => {
  const store = openStore(join(await tempDir(t), 'store.duckdb'));
  await store.init();
  t.teardown(() => store.close());
  return { store, settle: async () => {} };
});

t.test('DuckDBStore creates a missing directory', async (t) => {
  const path = join(await tempDir(t), 'nested', 'deeper', 'fleetpulse.duckdb');
  const store = openStore(path);
  await store.init();
  await store.close();
  t.ok((await stat(path)).isFile(), 'database file created');
});

t.test('DuckDBStore keeps data across reopen', async (t) => {
  const path = join(await tempDir(t), 'store.duckdb');
  const first = openStore(path);
  await first.init();
  const original = batch('web-1', [['cpu_usage', 1, T0, { core: '0' }], ['load1', 2, T0]]);
  await first.writeSamples([original]);
  await first.close();

  const second = openStore(path);
  await second.init();
  // The replay must hit the reloaded series ids, and a known series must not get a second id.
  await second.writeSamples([original, batch('web-1', [['cpu_usage', 3, T0 + 1_000, { core: '0' }], ['cpu_usage', 4, T0 + 1_000, { core: '1' }]])]);
  const found = await second.querySamples(WHOLE_DAY);
  t.same(found.map((sample) => sample.value).sort(), [1, 2, 3, 4], 'replay after reopen stored once');
  await second.close();

  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  t.teardown(() => {
    connection.closeSync();
    instance.closeSync();
  });
  const series = await connection.runAndReadAll('SELECT series_id, metric, series FROM series ORDER BY series_id');
  t.same(series.getRowsJS(), [[1, 'cpu_usage', '{core="0"}'], [2, 'load1', '{}'], [3, 'cpu_usage', '{core="1"}']], 'one id per series');
});

t.test('DuckDBStore rolls back a failed write', async (t) => {
  const path = join(await tempDir(t), 'store.duckdb');
  const store = openStore(path);
  await store.init();
  t.teardown(() => store.close());

  // A time beyond DuckDB's TIMESTAMP range fails the move from staging after the new series was appended.
  const broken = batch('web-9', [['cpu_usage', 1, T0], ['cpu_usage', 2, 1e19]]);
  await t.rejects(store.writeSamples([broken]), /out of range|overflow|Conversion/i);

  await store.writeSamples([batch('web-9', [['cpu_usage', 5, T0]]), batch('web-1', [['load1', 6, T0]])]);
  const found = await store.querySamples(WHOLE_DAY);
  t.same(found.map((sample) => [sample.agentId, sample.value]).sort(), [['web-1', 6], ['web-9', 5]], 'only the later write is stored');
  await store.close();

  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  t.teardown(() => {
    connection.closeSync();
    instance.closeSync();
  });
  const series = await connection.runAndReadAll('SELECT agent, metric, series FROM series ORDER BY series_id');
  t.same(series.getRowsJS(), [['web-9', 'cpu_usage', '{}'], ['web-1', 'load1', '{}']], 'no series row left by the failed write');
});

t.test('DuckDBStore serialises concurrent writes', async (t) => {
  const store = openStore(join(await tempDir(t), 'store.duckdb'));
  await store.init();
  t.teardown(() => store.close());

  const writes = Array.from({ length: 20 }, (_, i) => store.writeSamples([batch(`web-${i % 4}`, [['cpu_usage', i, T0 + i, { core: String(i % 3) }]])]));
  await Promise.all(writes);
  const found = await store.querySamples(WHOLE_DAY);
  t.same(found.map((sample) => sample.value), Array.from({ length: 20 }, (_, i) => 19 - i));
});

t.test('DuckDBStore interleaves sample and alert writes', async (t) => {
  const store = openStore(join(await tempDir(t), 'store.duckdb'));
  await store.init();
  t.teardown(() => store.close());

  // Prepared statements run while the staging appenders stay open between writes.
  for (let round = 0; round < 5; round++) {
    await store.writeSamples([batch('web-1', [['cpu_usage', round, T0 + round, { core: String(round % 2) }]])]);
    await store.writeAlerts([
      {
        version: 1,
        fingerprint: 'fp-cpu-web1',
        sequence: round + 1,
        rule: 'HighCPU',
        state: round % 2 === 0 ? 'firing' : 'resolved',
        severity: 'warning',
        agentId: 'web-1',
        labels: { alertname: 'HighCPU' },
        tags: {},
        annotations: {},
        notify: [],
        value: round * 10.5,
        activeAt: T0,
        at: T0 + round,
      },
    ]);
    await store.writeDeliveries([{ ts: T0 + round, idempotencyKey: `fp-cpu-web1:${round + 1}:log`, fingerprint: 'fp-cpu-web1', receiver: 'log', channel: 'console', outcome: 'delivered', attempts: round + 1 }]);
  }

  t.same((await store.querySamples(WHOLE_DAY)).map((sample) => sample.value), [4, 3, 2, 1, 0]);
  t.same((await store.queryAlerts(WHOLE_DAY)).map((event) => [event.sequence, event.value]), [[5, 42], [4, 31.5], [3, 21], [2, 10.5], [1, 0]]);
  t.same((await store.queryDeliveries(WHOLE_DAY)).map((record) => record.attempts), [5, 4, 3, 2, 1]);
});

t.test('DuckDBStore metrics view joins samples back', async (t) => {
  const path = join(await tempDir(t), 'store.duckdb');
  const store = openStore(path);
  await store.init();
  await store.writeSamples([batch('web-1', [['disk_used_pct', 71.5, T0, { mount: '/data' }]])]);
  await store.close();

  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  t.teardown(() => {
    connection.closeSync();
    instance.closeSync();
  });
  const reader = await connection.runAndReadAll(`SELECT agent, metric, series, value, labels['mount'] AS mount, tags['env'] AS env FROM metrics`);
  t.same(reader.getRowObjectsJS(), [{ agent: 'web-1', metric: 'disk_used_pct', series: '{mount="/data"}', value: 71.5, mount: '/data', env: 'prod' }]);
});

t.test('DuckDBStore rejects writes after close', async (t) => {
  const store = openStore(join(await tempDir(t), 'store.duckdb'));
  await store.init();
  await store.close();
  await t.rejects(store.writeSamples([batch('web-1', [['load1', 1, T0]])]), /closed/);
});
