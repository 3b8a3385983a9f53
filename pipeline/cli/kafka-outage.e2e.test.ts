import t from 'tap';
import { startAgent } from '../../agent/agent.js';
import { agentConfigSchema } from '../../agent/config.js';
import { scriptedSource } from '../../agent/scripted-source.js';
import { KafkaBus } from '../bus/kafka-bus.js';
import { silentLogger } from '../log/logger.js';
import type { IngestedBatch } from '../messages/metric-batch.js';
import { startPrivateKafka } from '../test-support/service-control.js';
import { eventually, testServices, uniqueName } from '../test-support/services.js';
import { fleetpulseConfigSchema } from './config.js';
import { startPipeline } from './pipeline.js';
import { topicNames } from './topics.js';
import { enrollAgent, gatewayClient } from './test-support/enroll.js';
import { temporaryDirectory } from './test-support/files.js';

t.test('gateway during a Kafka outage loses nothing', async (t) => {
  // A private broker, because stopping the shared one would break other tests.
  const kafka = await startPrivateKafka({ heap: '256m' });
  t.teardown(() => kafka.dispose());

  const prefix = `${uniqueName('outage')}.`;
  const dataDir = temporaryDirectory(t, 'fleetpulse-outage-');
  const config = fleetpulseConfigSchema.parse({
    deployment: 'distributed',
    log_level: 'silent',
    data_dir: dataDir,
    bus: { topic_prefix: prefix, partitions: 1, publish_timeout: '2s', kafka: { brokers: kafka.brokers } },
    state: { redis: { url: testServices.redisUrl, key_prefix: prefix } },
    gateway: { port: 0 },
    notifier: { receivers: [{ name: 'console', type: 'console' }] },
  });
  const pipeline = await startPipeline(config, { roles: ['gateway'], logger: silentLogger });
  t.teardown(() => pipeline.stop());

  // Each collection reports cpu_usage = its own sequence number, so a gap
  // in the sequence numbers read back from Kafka is a lost sample.
  let collections = 0;
  const agentId = uniqueName('agent');
  const client = gatewayClient(config, pipeline.gatewayUrl!);
  t.teardown(() => client.close());
  const agent = startAgent(
    agentConfigSchema.parse({
      ...(await enrollAgent(config, agentId)),
      agent_id: agentId,
      gateway_url: pipeline.gatewayUrl,
      interval: '200ms',
      retry_initial: '100ms',
      retry_max: '1s',
      request_timeout: '5s',
    }),
    { logger: silentLogger, source: scriptedSource(() => ++collections) },
  );
  t.teardown(() => agent.stop());
  await eventually(() => (collections >= 3 ? true : undefined), 10_000, 'first collections');

  // SIGKILL: the broker vanishes mid-stream, as in a crash.
  await kafka.kill();
  const body = JSON.stringify({ version: 1, agentId: 'outage-probe', samples: [{ metric: 'm', value: 1, ts: Date.now() }] });
  const probeToken = await client.token(await enrollAgent(config, 'outage-probe'));
  const during = await client.post('/v1/metrics', { 'content-type': 'application/json', authorization: `Bearer ${probeToken}` }, body);
  t.equal(during.status, 503, 'nothing is acknowledged while Kafka is down');
  t.ok(Number(during.headers['retry-after']) >= 1, 'Retry-After tells when to retry');
  t.equal((await client.get('/readyz')).status, 503, 'not ready while Kafka is down');

  const collectionsDuringOutage = collections;
  await eventually(() => (collections >= collectionsDuringOutage + 5 ? true : undefined), 20_000, 'collections during the outage');

  await kafka.start();
  await eventually(async () => ((await client.get('/readyz')).status === 200 ? true : undefined), 60_000, 'gateway ready again');
  await agent.stop();
  const collected = collections;

  // Read the whole metrics topic back with a fresh consumer group.
  const reader = new KafkaBus({ brokers: kafka.brokers, clientId: 'outage-reader', topics: [], replicationFactor: 1, publishTimeoutMs: 2_000, logger: silentLogger });
  await reader.start();
  t.teardown(() => reader.close());
  const seen = new Set<number>();
  await reader.subscribe({
    topic: topicNames(config.bus).metrics,
    group: uniqueName('reader'),
    handle: async (records) => {
      for (const record of records) {
        const batch = JSON.parse(record.value) as IngestedBatch;
        if (batch.agentId !== agentId) continue;
        for (const sample of batch.samples) if (sample.metric === 'cpu_usage') seen.add(sample.value);
      }
    },
  });

  await eventually(() => (seen.size >= collected ? true : undefined), 60_000, `all ${collected} collections on the topic`);
  const missing = Array.from({ length: collected }, (_, i) => i + 1).filter((n) => !seen.has(n));
  t.same(missing, [], `none of the ${collected} collections was lost`);
  t.ok(collected > collectionsDuringOutage, 'the agent kept collecting during the outage');
});
