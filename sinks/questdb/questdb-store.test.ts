import t from 'tap';
import pg from 'pg';
import { silentLogger } from '../../pipeline/log/logger.js';
import { eventually, testServices, uniqueName } from '../../pipeline/test-support/services.js';
import { storeContract } from '../store-contract.js';
import { questdbConfigSchema } from './config.js';
import { QuestDBStore } from './questdb-store.js';

/** Drops the tables a test created, so repeated runs do not fill the shared server. */
async function dropTables(tables: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: testServices.questdbPg });
  await client.connect();
  try {
    for (const table of tables) await client.query(`DROP TABLE IF EXISTS ${table}`);
  } finally {
    await client.end();
  }
}

function makeConfig(overrides: Record<string, unknown> = {}) {
  return questdbConfigSchema.parse({
    http: testServices.questdbHttp,
    pg: testServices.questdbPg,
    table_prefix: `${uniqueName('t')}_`,
    ...overrides,
  });
}

storeContract(t, async (t) => {
  const store = new QuestDBStore({ config: makeConfig(), logger: silentLogger });
  await store.init();
  t.teardown(async () => {
    await store.close();
    await dropTables(Object.values(store.tables));
  });
  return {
    store,
    settle: async () => {
      await eventually(async () => ((await store.pendingWalTransactions()) === 0 ? true : undefined), 30_000, 'QuestDB to apply its WAL');
    },
  };
});

t.test('QuestDBStore creates tables with dedup keys', async (t) => {
  const store = new QuestDBStore({ config: makeConfig(), logger: silentLogger });
  await store.init();
  // A second init against existing tables must succeed: every role calls it at startup.
  await store.init();
  t.teardown(async () => {
    await store.close();
    await dropTables(Object.values(store.tables));
  });

  const client = new pg.Client({ connectionString: testServices.questdbPg });
  await client.connect();
  t.teardown(() => client.end());

  const dedupKeys = async (table: string): Promise<string[]> => {
    const result = await client.query<{ column: string }>(`SELECT "column" FROM table_columns('${table}') WHERE upsertKey ORDER BY "column"`);
    return result.rows.map((row) => row.column);
  };
  t.same(await dedupKeys(store.tables.metrics), ['agent', 'metric', 'series', 'ts']);
  t.same(await dedupKeys(store.tables.alerts), ['fingerprint', 'sequence', 'ts']);
  t.same(await dedupKeys(store.tables.deliveries), ['idempotency_key', 'ts']);
  t.same(await dedupKeys(store.tables.decisions), ['id', 'ts']);

  const types = await client.query<{ column: string; type: string }>(`SELECT "column", type FROM table_columns('${store.tables.metrics}')`);
  t.same(Object.fromEntries(types.rows.map((row) => [row.column, row.type])), {
    ts: 'TIMESTAMP',
    received_at: 'TIMESTAMP',
    agent: 'SYMBOL',
    metric: 'SYMBOL',
    series: 'SYMBOL',
    value: 'DOUBLE',
  });
});

t.test('QuestDBStore adds tag and label columns as symbols', async (t) => {
  const store = new QuestDBStore({ config: makeConfig(), logger: silentLogger });
  await store.init();
  t.teardown(async () => {
    await store.close();
    await dropTables(Object.values(store.tables));
  });

  const ts = Date.parse('2026-03-01T12:00:00Z');
  await store.writeSamples([
    {
      version: 1,
      agentId: 'web-1',
      tags: { rack: 'r7' },
      receivedAt: ts,
      samples: [
        { metric: 'cpu_usage', value: 1, ts, labels: { core: '3' } },
        // Differs from `core` only in case: QuestDB would take both as one column and reject the request.
        { metric: 'cpu_usage', value: 2, ts: ts + 1, labels: { core: '4', Core: 'x' } },
      ],
    },
  ]);
  await eventually(async () => ((await store.pendingWalTransactions()) === 0 ? true : undefined), 30_000, 'QuestDB to apply its WAL');

  const client = new pg.Client({ connectionString: testServices.questdbPg });
  await client.connect();
  t.teardown(() => client.end());
  const types = await client.query<{ column: string; type: string }>(`SELECT "column", type FROM table_columns('${store.tables.metrics}') WHERE "column" IN ('tag_rack', 'label_core')`);
  t.same(Object.fromEntries(types.rows.map((row) => [row.column, row.type])), { tag_rack: 'SYMBOL', label_core: 'SYMBOL' });

  const found = await store.querySamples({ from: ts, to: ts + 10 });
  t.same(found.map((sample) => sample.labels), [{ core: '4' }, { core: '3' }], 'the case-variant key is left out');
});

t.test('QuestDBStore write fails fast on a rejected request', async (t) => {
  const store = new QuestDBStore({ config: makeConfig(), logger: silentLogger });
  await store.init();
  t.teardown(async () => {
    await store.close();
    await dropTables(Object.values(store.tables));
  });

  const client = new pg.Client({ connectionString: testServices.questdbPg });
  await client.connect();
  t.teardown(() => client.end());
  // A label column of the wrong type makes QuestDB respond with 400, which no retry can fix.
  await client.query(`ALTER TABLE ${store.tables.metrics} ADD COLUMN label_core LONG`);

  const ts = Date.parse('2026-03-01T12:00:00Z');
  const write = store.writeSamples([{ version: 1, agentId: 'web-1', tags: {}, receivedAt: ts, samples: [{ metric: 'cpu_usage', value: 1, ts, labels: { core: 'zero' } }] }]);
  await t.rejects(write, { name: 'QuestDBWriteError', retryable: false, attempts: 1, status: 400 });
});
