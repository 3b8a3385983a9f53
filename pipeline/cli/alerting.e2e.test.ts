import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Bus } from '../bus/bus.js';
import { silentLogger } from '../log/logger.js';
import type { Decision } from '../messages/decision.js';
import type { IngestedBatch } from '../messages/metric-batch.js';
import { MemorySilenceStore, RedisSilenceStore } from '../state/silence-store.js';
import { eventually, uniqueName } from '../test-support/services.js';
import { startWebhookReceiver } from '../test-support/webhook-receiver.js';
import type { WebhookPayload } from '../../sinks/channels/webhook/encode.js';
import { type FleetpulseConfig, fleetpulseConfigSchema } from './config.js';
import { startPipeline } from './pipeline.js';
import { startTestPublisher, testServiceSections } from './test-support/deployment.js';
import { temporaryDirectory } from './test-support/files.js';
import { topicNames } from './topics.js';

const AGENTS = 500;
const SILENCED = 10;

function stormConfig(deployment: 'embedded' | 'distributed', webhookUrl: string, dataDir: string): FleetpulseConfig {
  const prefix = uniqueName('storm');
  const ruleFile = join(dataDir, 'rules.yml');
  writeFileSync(ruleFile, '- { name: HighCPU, condition: cpu_usage > 90, severity: warning }\n');
  return fleetpulseConfigSchema.parse({
    deployment,
    log_level: 'silent',
    data_dir: dataDir,
    ...testServiceSections(prefix, { partitions: 4, dataDir }),
    gateway: { port: 0 },
    processor: { rule_files: [ruleFile] },
    router: {
      default_receivers: ['hook'],
      group_wait: '3s',
      routes: [
        { name: 'eu', matchers: ['region=~"eu-.*"'] },
        { name: 'us', matchers: ['region=~"us-.*"'] },
      ],
      silences: { refresh: '100ms' },
    },
    notifier: { receivers: [{ name: 'hook', type: 'webhook', url: webhookUrl }], retry: { initial_backoff: '10ms', max_backoff: '100ms' } },
  });
}

const agentId = (i: number): string => `storm-${String(i).padStart(3, '0')}`;

for (const deployment of ['embedded', 'distributed'] as const) {
  t.test(`${deployment} alert storm yields one notification per route`, async (t) => {
    const dataDir = temporaryDirectory(t, 'fleetpulse-storm-');
    const webhook = await startWebhookReceiver();
    t.teardown(() => webhook.close());
    const config = stormConfig(deployment, webhook.url, dataDir);

    // Silences the first ten agents before the storm, as an operator would through POST /v1/silences.
    const silenceStore =
      deployment === 'embedded'
        ? new MemorySilenceStore({ file: join(dataDir, config.router.silences.file) })
        : new RedisSilenceStore(config.state.redis.url, config.state.redis.key_prefix);
    const silence = await silenceStore.create({
      matchers: [{ name: 'agent', operator: '=~', value: `storm-00[0-${SILENCED - 1}]` }],
      startsAt: Date.now() - 1_000,
      endsAt: Date.now() + 3_600_000,
      createdBy: 'e2e',
      comment: 'maintenance of the first ten agents',
    });
    await silenceStore.close();

    const roles = deployment === 'embedded' ? undefined : (['processor', 'router', 'sink'] as const);
    const pipeline = await startPipeline(config, { roles, logger: silentLogger });
    t.teardown(() => pipeline.stop());

    const publisher: Bus = deployment === 'distributed' ? await startTestPublisher(t, config, 'storm-test') : pipeline.bus;

    // 500 agents cross 90% CPU within one second.
    const now = Date.now();
    const records = Array.from({ length: AGENTS }, (_, i) => {
      const batch: IngestedBatch = {
        version: 1,
        agentId: agentId(i),
        tags: { env: 'prod', region: i % 2 === 0 ? 'eu-west' : 'us-east' },
        receivedAt: now,
        samples: [{ metric: 'cpu_usage', value: 95, ts: now + (i % 1_000), labels: {} }],
      };
      return { key: batch.agentId, value: JSON.stringify(batch) };
    });
    await publisher.publish(topicNames(config.bus).metrics, records);

    const store = pipeline.store!;
    const decisionsOf = async (i: number): Promise<Decision[]> => {
      const fingerprint = (await store.queryAlerts({ agentId: agentId(i), from: now - 60_000, to: Date.now() + 60_000 }))[0]?.fingerprint;
      return fingerprint ? store.queryDecisions({ fingerprint, from: now - 60_000, to: Date.now() + 60_000 }) : [];
    };
    const allDecisions = (): Promise<Decision[]> => store.queryDecisions({ from: now - 60_000, to: Date.now() + 60_000, limit: 10_000 });
    const count = (decisions: readonly Decision[], reason: string): number => decisions.filter((decision) => decision.reason === reason).length;

    // The router publishes a group's decisions after sending its notification,
    // and the sink publishes the delivered decisions after delivering that
    // notification, so the two can reach the decisions log in either order.
    // The log is complete once every agent has its decisions: notified and
    // delivered, or silenced.
    await eventually(
      async () => {
        const decisions = await allDecisions();
        const counts = { first_notification: count(decisions, 'first_notification'), delivered: count(decisions, 'delivered'), silenced: count(decisions, 'silenced') };
        if (counts.first_notification >= AGENTS - SILENCED && counts.delivered >= AGENTS - SILENCED && counts.silenced >= SILENCED) return true;
        // Throwing instead of returning undefined makes a timeout report how far the log got.
        throw new Error(`decisions log incomplete: ${JSON.stringify(counts)} among ${decisions.length} decisions, ${webhook.received.length} webhook notifications`);
      },
      60_000,
      'a decision for every transition of the storm',
    );

    // Every transition was routed and every notification delivered by now, so the count is final.
    t.equal(webhook.received.length, 2, 'one notification per route');
    const bodies = webhook.received.map((hook) => hook.body as unknown as WebhookPayload);
    t.equal(new Set(bodies.map((body) => body.idempotencyKey)).size, 2, 'distinct idempotency keys');
    t.same(bodies.map((body) => body.groupKey?.split('/')[0]).sort(), ['eu', 'us'], 'one per route');
    t.same(
      bodies.map((body) => body.alerts.length),
      [(AGENTS - SILENCED) / 2, (AGENTS - SILENCED) / 2],
      'each carrying the unsilenced alerts of its region',
    );
    t.ok(
      bodies.every((body) => body.alerts.every((alert) => alert.tags.region === (body.groupKey?.startsWith('eu/') ? 'eu-west' : 'us-east'))),
      "each alert with its agent's tags",
    );

    const all = await allDecisions();
    t.equal(count(all, 'first_notification'), AGENTS - SILENCED, 'every unsilenced alert notified once');
    t.equal(count(all, 'delivered'), AGENTS - SILENCED, 'and delivered once');
    t.equal(count(all, 'silenced'), SILENCED, 'every silenced alert logged');
    t.equal(new Set(all.filter((decision) => decision.reason === 'first_notification').map((decision) => decision.notificationKey)).size, 2, 'in two notifications');
    t.equal(all.length, 2 * (AGENTS - SILENCED) + SILENCED, 'no other decision');

    const silenced = await decisionsOf(3);
    t.same(silenced.map((decision) => decision.reason), ['silenced'], 'a silenced agent');
    t.equal(silenced[0]!.silenceId, silence.id, 'names the silence');
    t.match(silenced[0]!.groupKey, /^us\/hook:/, 'and its route');
    const notified = await decisionsOf(42);
    t.same(notified.map((decision) => decision.reason).sort(), ['delivered', 'first_notification'], 'a notified agent');
    t.ok(notified[0]!.ts >= notified[1]!.ts, 'newest first');
    t.equal(notified[0]!.notificationKey, notified[1]!.notificationKey, 'both name its notification');
  });
}
