import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { silentLogger } from '../log/logger.js';
import { idempotencyKey } from '../messages/alert-event.js';
import { NOTIFYING_REASONS } from '../messages/decision.js';
import type { IngestedBatch } from '../messages/metric-batch.js';
import { startChildRole } from '../test-support/child-role.js';
import { eventually, uniqueName } from '../test-support/services.js';
import { startWebhookReceiver, type WebhookReceiver } from '../test-support/webhook-receiver.js';
import type { Role } from './args.js';
import { fleetpulseConfigSchema } from './config.js';
import { startPipeline } from './pipeline.js';
import { PER_ALERT_ROUTING, startTestPublisher, testServiceSections } from './test-support/deployment.js';
import { temporaryDirectory } from './test-support/files.js';
import { topicNames } from './topics.js';

/**
 * Writes `rules` to a rule file in `dir` and returns the configuration that
 * every process of one test shares, with a private topic prefix, Redis
 * prefix and table prefix. `processor` adds keys to the processor section.
 */
function sharedConfig(dir: string, rules: string, webhookUrl: string, processor: Record<string, unknown>): Record<string, unknown> {
  const prefix = uniqueName('failover');
  const ruleFile = join(dir, 'rules.yml');
  writeFileSync(ruleFile, rules);
  const services = testServiceSections(prefix, { partitions: 4 });
  return {
    deployment: 'distributed',
    log_level: 'info',
    ...services,
    bus: { ...services.bus, kafka: { ...services.bus.kafka, session_timeout: '3s' } },
    gateway: { port: 0 },
    processor: { rule_files: [ruleFile], checkpoint_interval: '200ms', tick_interval: '200ms', max_lag: '2s', ...processor },
    router: { default_receivers: ['hook'], ...PER_ALERT_ROUTING },
    notifier: { receivers: [{ name: 'hook', type: 'webhook', url: webhookUrl }], retry: { initial_backoff: '10ms', max_backoff: '100ms' } },
  };
}

/** Creates the test's directory and webhook receiver, and returns them with the shared configuration for `rules`. */
async function setUp(t: Test, rules: string, processor: Record<string, unknown> = {}) {
  const dir = temporaryDirectory(t, 'fleetpulse-failover-');
  const webhook = await startWebhookReceiver();
  t.teardown(() => webhook.close());
  return { dir, webhook, raw: sharedConfig(dir, rules, webhook.url, processor) };
}

/**
 * Starts `roles` in this process and a Kafka publisher for the metrics topic.
 * The other roles run in child processes that the test starts.
 */
async function startInProcess(t: Test, raw: Record<string, unknown>, roles: readonly Role[]) {
  const config = fleetpulseConfigSchema.parse({ ...raw, log_level: 'silent' });
  const pipeline = await startPipeline(config, { roles, logger: silentLogger });
  t.teardown(() => pipeline.stop());

  const publisher = await startTestPublisher(t, config, 'failover-test');
  const metricsTopic = topicNames(config.bus).metrics;

  const send = async (agentId: string, values: Record<string, number>): Promise<void> => {
    const now = Date.now();
    const batch: IngestedBatch = { version: 1, agentId, tags: { env: 'test' }, receivedAt: now, samples: Object.entries(values).map(([metric, value]) => ({ metric, value, ts: now, labels: {} })) };
    await publisher.publish(metricsTopic, [{ key: agentId, value: JSON.stringify(batch) }]);
  };
  return { send, publisher, metricsTopic, store: pipeline.store! };
}

function notified(webhook: WebhookReceiver, state: string, agentId?: string): number {
  return webhook.received.filter((hook) => {
    const alert = hook.body.alert as { state: string; agentId: string };
    return alert.state === state && (agentId === undefined || alert.agentId === agentId);
  }).length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('processor killed while firing does not notify again', async (t) => {
  const { dir, webhook, raw } = await setUp(t, '- { name: HighCPU, condition: "avg(cpu_usage, 10s) > 90", severity: critical }');
  const { send } = await startInProcess(t, raw, ['router', 'sink']);

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

  // The condition is still true over the restored window, so no second firing follows.
  await sleep(3_000);
  t.equal(notified(webhook, 'firing'), 1, 'no second firing notification after the restart');

  cpu = 10;
  await eventually(() => (notified(webhook, 'resolved') === 1 ? true : undefined), 60_000, 'the resolution');
  await sleep(1_000);
  t.equal(notified(webhook, 'firing'), 1);
  t.equal(notified(webhook, 'resolved'), 1);
});

t.test('second processor replica joins mid-stream', async (t) => {
  const { dir, webhook, raw } = await setUp(t, '- { name: HighCPU, condition: cpu_usage > 90, severity: critical }');
  const { send, store } = await startInProcess(t, raw, ['router', 'sink']);

  const first = startChildRole('processor', raw, join(dir, 'first.yml'));
  t.teardown(() => first.stop());
  await first.waitForLog('processor role started');

  // 20 agents alternate between 95 % and 10 % CPU every 4 rounds, so each agent makes 2 transitions per 8 rounds.
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

  // Rounds 4-7, 12-15, ..., 44-47 are high. That makes six firing periods, and five of them end
  // within the 48 rounds. The processors derive every transition.
  // A processor that falls behind during the handover may publish a resolution together with the
  // next firing. The router then notifies neither, as Alertmanager would, and logs both as
  // duplicates. So every transition has a decision, but only the notified ones reach the webhook.
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
  const { webhook, raw } = await setUp(t, '[]', { deadman: [{ name: 'AgentDown', timeout: '3s' }] });
  const { publisher, metricsTopic } = await startInProcess(t, raw, ['processor', 'router', 'sink']);

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
