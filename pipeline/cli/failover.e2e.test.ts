import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { KafkaBus } from '../bus/kafka-bus.js';
import { silentLogger } from '../log/logger.js';
import { idempotencyKey } from '../messages/alert-event.js';
import { NOTIFYING_REASONS } from '../messages/decision.js';
import type { IngestedBatch } from '../messages/metric-batch.js';
import { startChildRole } from '../test-support/child-role.js';
import { eventually, testServices, uniqueName } from '../test-support/services.js';
import { startWebhookReceiver, type WebhookReceiver } from '../test-support/webhook-receiver.js';
import { fleetpulseConfigSchema } from './config.js';
import { startPipeline } from './pipeline.js';
import { topicConfigs, topicNames } from './topics.js';

/** The configuration every process of one test shares: a private topic prefix, Redis prefix and table prefix. */
function sharedConfig(dir: string, rules: string, webhookUrl: string): Record<string, unknown> {
  const prefix = uniqueName('failover');
  const ruleFile = join(dir, 'rules.yml');
  writeFileSync(ruleFile, rules);
  return {
    deployment: 'distributed',
    log_level: 'info',
    bus: { topic_prefix: `${prefix}.`, partitions: 4, kafka: { brokers: testServices.kafkaBrokers, session_timeout: '3s' } },
    state: { redis: { url: testServices.redisUrl, key_prefix: `${prefix}:` } },
    store: { questdb: { http: testServices.questdbHttp, pg: testServices.questdbPg, table_prefix: `${prefix}_` } },
    gateway: { port: 0 },
    processor: { rule_files: [ruleFile], checkpoint_interval: '200ms', tick_interval: '200ms', max_lag: '2s' },
    // One group per alert, flushed at once and never held as flapping, so each transition makes its own notification.
    router: { default_receivers: ['hook'], group_by: ['...'], group_wait: '0s', group_interval: '100ms', tick_interval: '50ms', flapping: { max_changes: 0 } },
    notifier: { receivers: [{ name: 'hook', type: 'webhook', url: webhookUrl }], retry: { initial_backoff: '10ms', max_backoff: '100ms' } },
  };
}

/** Starts the router and sink in this process; the processors run elsewhere. */
async function startDownstream(t: Test, raw: Record<string, unknown>) {
  const config = fleetpulseConfigSchema.parse({ ...raw, log_level: 'silent' });
  const pipeline = await startPipeline(config, { roles: ['router', 'sink'], logger: silentLogger });
  t.teardown(() => pipeline.stop());

  const publisher = new KafkaBus({ brokers: testServices.kafkaBrokers, clientId: 'failover-test', topics: topicConfigs(config.bus), replicationFactor: 1, publishTimeoutMs: 5_000, logger: silentLogger });
  await publisher.start();
  t.teardown(() => publisher.close());
  const metricsTopic = topicNames(config.bus).metrics;

  const send = async (agentId: string, values: Record<string, number>): Promise<void> => {
    const now = Date.now();
    const batch: IngestedBatch = { version: 1, agentId, tags: { env: 'test' }, receivedAt: now, samples: Object.entries(values).map(([metric, value]) => ({ metric, value, ts: now, labels: {} })) };
    await publisher.publish(metricsTopic, [{ key: agentId, value: JSON.stringify(batch) }]);
  };
  return { config, send, publisher, metricsTopic, store: pipeline.store! };
}

function notified(webhook: WebhookReceiver, state: string, agentId?: string): number {
  return webhook.received.filter((hook) => {
    const alert = hook.body.alert as { state: string; agentId: string };
    return alert.state === state && (agentId === undefined || alert.agentId === agentId);
  }).length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('processor killed while firing does not notify again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-failover-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const webhook = await startWebhookReceiver();
  t.teardown(() => webhook.close());
  const raw = sharedConfig(dir, '- { name: HighCPU, condition: "avg(cpu_usage, 10s) > 90", severity: critical }', webhook.url);
  const { send } = await startDownstream(t, raw);

  const first = startChildRole('processor', raw, join(dir, 'processor.yml'));
  t.teardown(() => first.kill());
  await first.waitForLog('processor role started');

  let cpu = 95;
  let sending = true;
  const sender = (async () => {
    while (sending) {
      await send('web-1', { cpu_usage: cpu });
      await sleep(200);
    }
  })();
  t.teardown(async () => {
    sending = false;
    await sender;
  });

  await eventually(() => (notified(webhook, 'firing') === 1 ? true : undefined), 60_000, 'the firing notification');
  await sleep(1_000);
  await first.kill();

  const second = startChildRole('processor', raw, join(dir, 'processor.yml'));
  t.teardown(() => second.kill());
  const restored = await second.waitForLog('partition restored from its checkpoint', 60_000);
  t.equal(restored.agents, 1, 'the alert state came back from the checkpoint');

  // The condition still holds over the restored window: no second firing.
  await sleep(3_000);
  t.equal(notified(webhook, 'firing'), 1, 'no second firing notification after the restart');

  cpu = 10;
  await eventually(() => (notified(webhook, 'resolved') === 1 ? true : undefined), 60_000, 'the resolution');
  await sleep(1_000);
  t.equal(notified(webhook, 'firing'), 1);
  t.equal(notified(webhook, 'resolved'), 1);
});

t.test('second processor replica joins mid-stream', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-failover-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const webhook = await startWebhookReceiver();
  t.teardown(() => webhook.close());
  const raw = sharedConfig(dir, '- { name: HighCPU, condition: cpu_usage > 90, severity: critical }', webhook.url);
  const { send, store } = await startDownstream(t, raw);

  const first = startChildRole('processor', raw, join(dir, 'first.yml'));
  t.teardown(() => first.stop());
  await first.waitForLog('processor role started');

  // 20 agents alternate between 95 % and 10 % every 4 rounds: 2 transitions per agent per 8 rounds.
  const agents = Array.from({ length: 20 }, (_, i) => `agent-${i}`);
  const rounds = 48;
  const startedAt = Date.now();
  let second: ReturnType<typeof startChildRole> | undefined;
  for (let round = 0; round < rounds; round++) {
    const high = Math.floor(round / 4) % 2 === 1;
    await Promise.all(agents.map((agentId) => send(agentId, { cpu_usage: high ? 95 : 10 })));
    if (round === 16) {
      second = startChildRole('processor', raw, join(dir, 'second.yml'));
      t.teardown(() => second!.stop());
    }
    await sleep(250);
  }
  await second!.waitForLog('partition restored from its checkpoint', 60_000);

  // Rounds 4-7, 12-15, ..., 44-47 are high: six firing periods, five of which end within the 48 rounds.
  // The processors derive every transition. A processor that falls behind during the handover may
  // publish a resolution together with the next firing; the router then notifies neither, as
  // Alertmanager would, and logs both as duplicates. So every transition has a decision, and only
  // the notified ones reach the webhook.
  const transitions = (agentId: string, state: string) => async () => {
    const alerts = await store.queryAlerts({ agentId, from: startedAt, to: Date.now() + 60_000 });
    return new Set(alerts.filter((alert) => alert.state === state).map((alert) => idempotencyKey(alert))).size;
  };
  const decisions = async () => store.queryDecisions({ from: startedAt, to: Date.now() + 60_000, limit: 100_000 });
  const decided = async () => new Set((await decisions()).map((decision) => decision.alertKey));
  await eventually(
    async () => {
      for (const agentId of agents) {
        if ((await transitions(agentId, 'firing')()) < 6 || (await transitions(agentId, 'resolved')()) < 5) return undefined;
      }
      const alerts = await store.queryAlerts({ from: startedAt, to: Date.now() + 60_000, limit: 100_000 });
      const keys = await decided();
      return alerts.every((alert) => keys.has(idempotencyKey(alert))) ? true : undefined;
    },
    90_000,
    'a decision for every transition',
  );
  await sleep(2_000);

  for (const agentId of agents) {
    t.equal(await transitions(agentId, 'firing')(), 6, `${agentId}: six firing transitions derived`);
    t.equal(await transitions(agentId, 'resolved')(), 5, `${agentId}: five resolutions derived`);
    const delivered = webhook.received.filter((hook) => (hook.body.alert as { agentId: string }).agentId === agentId);
    t.equal((delivered.at(-1)?.body.alert as { state: string } | undefined)?.state, 'firing', `${agentId}: last notification is firing`);
  }
  const suppressed = (await decisions()).filter((decision) => !NOTIFYING_REASONS.has(decision.reason));
  t.ok(suppressed.every((decision) => decision.reason === 'duplicate'), 'only duplicates are held back');
  const keys = webhook.received.map((hook) => hook.body.idempotencyKey as string);
  t.equal(new Set(keys).size, keys.length, 'no idempotency key delivered twice');
});

t.test('dead-man for 1000 agents with 10 silent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-deadman-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const webhook = await startWebhookReceiver();
  t.teardown(() => webhook.close());
  const raw = sharedConfig(dir, '[]', webhook.url);
  (raw.processor as Record<string, unknown>).deadman = [{ name: 'AgentDown', timeout: '3s' }];
  const config = fleetpulseConfigSchema.parse({ ...raw, log_level: 'silent' });
  const pipeline = await startPipeline(config, { roles: ['processor', 'router', 'sink'], logger: silentLogger });
  t.teardown(() => pipeline.stop());

  const publisher = new KafkaBus({ brokers: testServices.kafkaBrokers, clientId: 'deadman-test', topics: topicConfigs(config.bus), replicationFactor: 1, publishTimeoutMs: 5_000, logger: silentLogger });
  await publisher.start();
  t.teardown(() => publisher.close());
  const metricsTopic = topicNames(config.bus).metrics;

  const agents = Array.from({ length: 1_000 }, (_, i) => `host-${String(i).padStart(4, '0')}`);
  const silent = new Set(agents.filter((_, i) => i % 100 === 7));
  const sendRound = async (include: (agentId: string) => boolean): Promise<void> => {
    const now = Date.now();
    const records = agents.filter(include).map((agentId) => {
      const batch: IngestedBatch = { version: 1, agentId, tags: {}, receivedAt: now, samples: [{ metric: 'load1', value: 0.5, ts: now, labels: {} }] };
      return { key: agentId, value: JSON.stringify(batch) };
    });
    await publisher.publish(metricsTopic, records);
  };

  // Everyone reports for 3 s, then the silent ten stop for 6 s, then everyone reports again.
  for (let second = 0; second < 3; second++) {
    await sendRound(() => true);
    await sleep(1_000);
  }
  for (let second = 0; second < 6; second++) {
    await sendRound((agentId) => !silent.has(agentId));
    await sleep(1_000);
  }
  await eventually(() => (notified(webhook, 'firing') >= 10 ? true : undefined), 30_000, 'ten dead-man alerts');
  t.same(new Set(webhook.received.map((hook) => (hook.body.alert as { agentId: string }).agentId)), silent, 'exactly the silent agents');

  for (let second = 0; second < 3; second++) {
    await sendRound(() => true);
    await sleep(1_000);
  }
  await eventually(() => (notified(webhook, 'resolved') >= 10 ? true : undefined), 30_000, 'ten resolutions');
  await sleep(1_000);

  for (const agentId of silent) {
    t.equal(notified(webhook, 'firing', agentId), 1, `${agentId} fired once`);
    t.equal(notified(webhook, 'resolved', agentId), 1, `${agentId} resolved once`);
  }
  t.equal(notified(webhook, 'firing'), 10, 'no other agent fired');
});
