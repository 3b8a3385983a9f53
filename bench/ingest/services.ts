import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import type { FleetpulseConfig } from '../../pipeline/cli/config.js';
import { topicConfigs, topicNames } from '../../pipeline/cli/topics.js';
import { tableNames } from '../../sinks/questdb/schema.js';
import { describeExit, runCommand } from './processes.js';

export type Service = 'kafka' | 'questdb';
export const SERVICES: readonly Service[] = ['kafka', 'questdb'];

/**
 * Starts with scripts/services.sh each service that is not running yet and
 * returns the ones it started, which the caller stops afterwards with
 * `stopServices`. Servers that were already running stay untouched.
 */
export async function startServices(repoRoot: string): Promise<Service[]> {
  const script = path.join(repoRoot, 'scripts', 'services.sh');
  const started: Service[] = [];
  for (const service of SERVICES) {
    const status = await runCommand('bash', [script, 'status', service], { cwd: repoRoot, logFile: '/dev/null' });
    if (status.code !== 0) started.push(service);
  }
  if (started.length === 0) return started;

  // Detached, so a Ctrl-C in the terminal cannot interrupt a start half way.
  const up = await runCommand('bash', [script, 'up', ...(started.length === 1 ? started : [])], { cwd: repoRoot, detached: true });
  if (up.code !== 0) {
    await stopServices(repoRoot, started);
    throw new Error(`scripts/services.sh up ${describeExit(up)}`);
  }
  return started;
}

export async function stopServices(repoRoot: string, services: readonly Service[]): Promise<void> {
  const script = path.join(repoRoot, 'scripts', 'services.sh');
  for (const service of services) {
    const down = await runCommand('bash', [script, 'down', service], { cwd: repoRoot, detached: true });
    if (down.code !== 0) console.error(`scripts/services.sh down ${service} ${describeExit(down)}`);
  }
}

/** Throws, with the reason, unless Redis replies to PING within 3 s. */
export async function pingRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis at ${redactPassword(url)} did not reply to PING (${(error as Error).message}). Start Redis there, because the distributed deployment keeps shared state in it`);
  } finally {
    redis.disconnect();
  }
}

/** Counts the rows of the embedded store's samples table; the pipeline must have closed the file. */
export async function countDuckDBSamples(file: string): Promise<number> {
  const instance = await DuckDBInstance.create(file);
  try {
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll('SELECT count(*)::BIGINT FROM samples');
      return Number(reader.getRowsJS()[0]?.[0] ?? 0);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/**
 * Polls the QuestDB metrics table until it contains `expected` rows, which
 * happens once the sink has consumed the Kafka backlog and QuestDB has applied
 * its write-ahead log. Returns the last count and the seconds waited.
 */
export async function waitForQuestDBSamples(
  config: FleetpulseConfig,
  expected: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ count: number; seconds: number }> {
  const table = tableNames(config.store.questdb.table_prefix).metrics;
  const client = new pg.Client({ connectionString: config.store.questdb.pg });
  await client.connect();
  const started = performance.now();
  try {
    for (;;) {
      const result = await client.query<{ count: string }>(`SELECT count() AS count FROM ${table}`);
      const count = Number(result.rows[0]?.count ?? 0);
      const seconds = (performance.now() - started) / 1_000;
      if (count >= expected || seconds * 1_000 >= timeoutMs || signal.aborted) return { count, seconds };
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    await client.end();
  }
}

/**
 * Deletes what one distributed run left on the shared servers: its Kafka
 * topics and consumer groups, its QuestDB tables and its Redis keys. Returns
 * a message per step that failed, so one failure does not skip the others.
 */
export async function removeDistributedRunData(config: FleetpulseConfig): Promise<string[]> {
  const failures: string[] = [];
  const attempt = async (what: string, step: () => Promise<void>): Promise<void> => {
    try {
      await step();
    } catch (error) {
      failures.push(`${what}: ${(error as Error).message}`);
    }
  };

  await attempt('deleting the Kafka topics and consumer groups', async () => {
    const admin = new Kafka({ clientId: 'fleetpulse-bench', brokers: config.bus.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.deleteGroups(Object.values(topicNames(config.bus).groups));
      await admin.deleteTopics({ topics: topicConfigs(config.bus).map((topic) => topic.name) });
    } finally {
      await admin.disconnect();
    }
  });

  await attempt('dropping the QuestDB tables', async () => {
    const client = new pg.Client({ connectionString: config.store.questdb.pg });
    await client.connect();
    try {
      for (const table of Object.values(tableNames(config.store.questdb.table_prefix))) await client.query(`DROP TABLE IF EXISTS ${table}`);
    } finally {
      await client.end();
    }
  });

  await attempt('deleting the Redis keys', async () => {
    const redis = new Redis(config.state.redis.url, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.state.redis.key_prefix}*`, 'COUNT', 1_000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      await redis.quit();
    }
  });

  return failures;
}

function redactPassword(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return text;
  }
}
