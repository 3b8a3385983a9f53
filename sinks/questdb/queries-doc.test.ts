import { readFileSync } from 'node:fs';
import t from 'tap';
import { silentLogger } from '../../pipeline/log/logger.js';
import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import { makeDecision } from '../../pipeline/messages/decision.js';
import { eventually, testServices, uniqueName } from '../../pipeline/test-support/services.js';
import { questdbConfigSchema } from './config.js';
import { createQueryPool } from './query.js';
import { QuestDBStore } from './questdb-store.js';

const DOC = new URL('../../docs/queries.md', import.meta.url);
const T0 = Date.parse('2026-03-01T12:00:00Z');

/** Returns the fenced blocks of one language in the document, in order. */
function blocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1]!);
}

/** Points the statement's default table names at the test's prefixed tables. */
function withPrefix(sql: string, prefix: string): string {
  return sql.replace(/\b(FROM|JOIN)\s+(metrics|alerts|deliveries|decisions)\b/gi, (_, keyword: string, table: string) => `${keyword} ${prefix}${table}`);
}

function alert(fields: Partial<AlertEvent>): AlertEvent {
  return {
    version: 1,
    fingerprint: 'fp-latency-web-1',
    sequence: 1,
    rule: 'LatencyOutlier',
    state: 'firing',
    severity: 'warning',
    agentId: 'web-1',
    labels: { alertname: 'LatencyOutlier', agent: 'web-1' },
    tags: { env: 'prod', region: 'eu-1' },
    annotations: { summary: 'latency of web-1 is an outlier' },
    value: 4.2,
    activeAt: T0 + 30_000,
    at: T0 + 30_000,
    notify: [],
    outlierMetric: 'latency_ms',
    ...fields,
  };
}

t.test('queries doc SQL runs on QuestDB', async (t) => {
  const config = questdbConfigSchema.parse({ http: testServices.questdbHttp, pg: testServices.questdbPg, table_prefix: `${uniqueName('doc')}_` });
  const store = new QuestDBStore({ config, logger: silentLogger });
  await store.init();
  // Parses timestamps as UTC milliseconds whatever the process's time zone.
  const client = createQueryPool(config.pg, 1, 30_000);
  t.teardown(async () => {
    await store.close();
    for (const table of Object.values(store.tables)) await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });

  // Enough data that every example returns rows.
  await store.writeSamples(
    ['web-1', 'web-2'].map((agentId, a) => ({
      version: 1,
      agentId,
      tags: { env: 'prod', region: 'eu-1' },
      receivedAt: T0,
      samples: Array.from({ length: 20 }, (_, i) => ({ metric: 'latency_ms', value: 26 + i + a, ts: T0 + i * 15_000, labels: { target: 'api' } })),
    })),
  );
  await store.writeAlerts([alert({}), alert({ sequence: 2, state: 'resolved', at: T0 + 90_000 })]);
  const base = { fingerprint: 'fp-latency-web-1', alertKey: `fp-latency-web-1:${T0 + 30_000}:firing`, state: 'firing' as const, rule: 'LatencyOutlier', agentId: 'web-1' };
  await store.writeDecisions([
    makeDecision({ ...base, ts: T0 + 31_000, reason: 'first_notification', receiver: 'oncall' }),
    makeDecision({ ...base, ts: T0 + 32_000, reason: 'silenced', receiver: 'chat', silenceId: 'sil-1', detail: 'load test' }),
  ]);
  await store.writeDeliveries([
    { ts: T0 + 33_000, idempotencyKey: 'n-1', fingerprint: 'fp-latency-web-1', receiver: 'oncall', channel: 'webhook', outcome: 'failed', attempts: 5, error: 'HTTP 503' },
  ]);
  await eventually(async () => ((await store.pendingWalTransactions()) === 0 ? true : undefined), 30_000, 'QuestDB to apply its WAL');

  const statements = blocks(readFileSync(DOC, 'utf8'), 'sql');
  t.ok(statements.length >= 15, `found ${statements.length} SQL examples`);
  for (const sql of statements) {
    const first = sql.trim().split('\n')[0];
    const result = await client.query(withPrefix(sql, config.table_prefix));
    t.ok(result.rows.length > 0, `returns rows: ${first}`);
  }

  const day = Date.parse('2026-03-01T00:00:00Z');
  const heatmap = await store.queryHeatmap({ metric: 'latency_ms', from: day, to: day + 86_400_000, step: 60_000 });
  const documented = await client.query<{ ts: number; bucket: number; count: number }>(withPrefix(statements[0]!, config.table_prefix));
  const cells = documented.rows
    .map((row) => ({ time: row.ts, bucket: row.bucket, count: row.count }))
    .sort((a, b) => a.time - b.time || a.bucket - b.bucket);
  t.same(cells, heatmap.cells, 'the first heatmap example counts what queryHeatmap counts');
});

t.test('queries doc JSON examples parse', async (t) => {
  const examples = blocks(readFileSync(DOC, 'utf8'), 'json');
  t.equal(examples.length, 2);
  for (const example of examples) t.doesNotThrow(() => JSON.parse(example));
});
