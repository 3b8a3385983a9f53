import { join } from 'node:path';
import { KafkaBus } from '../../bus/kafka-bus.js';
import { silentLogger } from '../../log/logger.js';
import { testServices } from '../../test-support/services.js';
import type { FleetpulseConfig } from '../config.js';
import { topicConfigs } from '../topics.js';
import type { Teardown } from './files.js';

/**
 * Returns the bus, state and store sections that point a deployment at the
 * test services, with topics, Redis keys and QuestDB tables of its own under
 * `prefix`. With `dataDir`, the DuckDB file of the embedded deployment goes there too.
 */
export function testServiceSections(prefix: string, options: { partitions: number; dataDir?: string }) {
  const questdb = { http: testServices.questdbHttp, pg: testServices.questdbPg, table_prefix: `${prefix}_` };
  return {
    bus: { topic_prefix: `${prefix}.`, partitions: options.partitions, kafka: { brokers: testServices.kafkaBrokers } },
    state: { redis: { url: testServices.redisUrl, key_prefix: `${prefix}:` } },
    store: options.dataDir === undefined ? { questdb } : { duckdb: { path: join(options.dataDir, 'fleetpulse.duckdb') }, questdb },
  };
}

/** Starts a Kafka client on the test broker that publishes to the topics of `config`, and closes it when the test ends. */
export async function startTestPublisher(t: Teardown, config: FleetpulseConfig, clientId: string): Promise<KafkaBus> {
  const publisher = new KafkaBus({ brokers: testServices.kafkaBrokers, clientId, topics: topicConfigs(config.bus), replicationFactor: 1, publishTimeoutMs: 5_000, logger: silentLogger });
  await publisher.start();
  t.teardown(() => publisher.close());
  return publisher;
}

/**
 * Router settings that give every alert its own group, flushed at once and
 * never held as flapping, so each transition makes its own notification.
 */
export const PER_ALERT_ROUTING = { group_by: ['...'], group_wait: '0s', group_interval: '100ms', tick_interval: '50ms', flapping: { max_changes: 0 } };
