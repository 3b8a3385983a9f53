import { randomBytes } from 'node:crypto';

/**
 * Addresses of the real servers that tests use. `npm test` starts them
 * through scripts/services.sh and exports these variables; a test run by
 * hand falls back to the ports that script uses.
 */
export const testServices = {
  kafkaBrokers: (process.env.FLEETPULSE_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  questdbHttp: process.env.FLEETPULSE_TEST_QUESTDB_HTTP ?? 'http://127.0.0.1:9000',
  questdbPg: process.env.FLEETPULSE_TEST_QUESTDB_PG ?? 'postgres://admin:quest@127.0.0.1:8812/qdb',
  redisUrl: process.env.FLEETPULSE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/** A name no other test run uses, for topics, groups and tables on shared servers. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Polls `check` until it returns a value other than undefined or the timeout passes. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}
