import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startAgent } from '../../agent/agent.js';
import { agentConfigSchema } from '../../agent/config.js';
import { scriptedSource } from '../../agent/scripted-source.js';
import { silentLogger } from '../log/logger.js';
import type { AlertEvent } from '../messages/alert-event.js';
import { eventually, uniqueName } from '../test-support/services.js';
import { startWebhookReceiver } from '../test-support/webhook-receiver.js';
import { type FleetpulseConfig, fleetpulseConfigSchema } from './config.js';
import { startPipeline } from './pipeline.js';
import { PER_ALERT_ROUTING } from './test-support/deployment.js';
import { enrollAgent } from './test-support/enroll.js';
import { temporaryDirectory } from './test-support/files.js';

/** cpu_usage per collection: one crossing above 90, then back below. */
const CPU_SCRIPT = [20, 95, 96, 30];

const HOST = { hostname: 'db-7.example.com', os: 'Debian GNU/Linux', osRelease: '12', kernel: '6.1.0-18-amd64', arch: 'x64', platform: 'linux' };

/** Tags that every sample and alert of the agent must carry, grouped by the source that sets them. */
const EXPECTED_TAGS = {
  // From the agent's configuration. The token's `team` replaces the agent's.
  env: 'e2e',
  // From the host facts. The tagging rule's `os` replaces the host's.
  hostname: 'db-7.example.com',
  os_release: '12',
  kernel: '6.1.0-18-amd64',
  arch: 'x64',
  platform: 'linux',
  // From the gateway's tagging rules, because the peer address is loopback and the hostname matches.
  dc: 'loopback',
  os: 'debian',
  role: 'db',
  // From the access token.
  team: 'dba',
  agent_group: 'databases',
};

function pipelineConfig(webhookUrl: string, dataDir: string): FleetpulseConfig {
  const ruleFile = join(dataDir, 'rules.yml');
  writeFileSync(ruleFile, '- name: HighCPU\n  condition: cpu_usage > 90\n  severity: critical\n');
  return fleetpulseConfigSchema.parse({
    deployment: 'embedded',
    log_level: 'silent',
    data_dir: dataDir,
    store: { duckdb: { path: join(dataDir, 'fleetpulse.duckdb') } },
    gateway: {
      port: 0,
      tagging: {
        rules: [
          { match: { ip: ['127.0.0.0/8', '::1'] }, tags: { dc: 'loopback' } },
          { match: { hostname: 'db-.*\\.example\\.com' }, tags: { role: 'db', os: 'debian' } },
        ],
      },
    },
    processor: { rule_files: [ruleFile] },
    // The rule names no receiver, so the router's route on agent_group picks the webhook.
    router: {
      default_receivers: ['console'],
      ...PER_ALERT_ROUTING,
      routes: [{ matchers: ['agent_group="databases"'], receivers: ['hook'] }],
    },
    notifier: {
      receivers: [
        { name: 'console', type: 'console' },
        { name: 'hook', type: 'webhook', url: webhookUrl },
      ],
      retry: { initial_backoff: '10ms', max_backoff: '100ms' },
    },
  });
}

t.test('embedded pipeline carries the final tags', async (t) => {
  const dataDir = temporaryDirectory(t, 'fleetpulse-tagging-e2e-');
  const webhook = await startWebhookReceiver();
  t.teardown(() => webhook.close());

  const config = pipelineConfig(webhook.url, dataDir);
  const pipeline = await startPipeline(config, { logger: silentLogger });
  t.teardown(() => pipeline.stop());

  const agentId = uniqueName('db');
  let call = 0;
  const agentConfig = agentConfigSchema.parse({
    // The credentials that `fleetpulse credentials create --group databases --tag team=dba` creates.
    ...(await enrollAgent(config, agentId, { group: 'databases', tags: { team: 'dba' } })),
    agent_id: agentId,
    gateway_url: pipeline.gatewayUrl,
    interval: '300ms',
    tags: { env: 'e2e', team: 'agent-says', agent_group: 'forged' },
    retry_initial: '50ms',
    retry_max: '500ms',
  });
  const agent = startAgent(agentConfig, {
    logger: silentLogger,
    source: scriptedSource(() => CPU_SCRIPT[Math.min(call++, CPU_SCRIPT.length - 1)]!),
    hostFacts: { read: async () => HOST },
  });
  t.teardown(() => agent.stop());

  // The notification: the router matched the route on agent_group.
  const notified = await eventually(() => webhook.received.find((hook) => (hook.body.alert as AlertEvent).state === 'firing'), 60_000, 'the firing webhook');
  t.same((notified.body.alert as AlertEvent).tags, EXPECTED_TAGS, 'notification');

  const stored = await eventually(async () => {
    const rows = await pipeline.store!.querySamples({ agentId, metric: 'cpu_usage', from: 0, to: Date.now() + 60_000 });
    return rows.length > 0 ? rows : undefined;
  }, 30_000, 'stored samples');
  t.same(stored[0]!.tags, EXPECTED_TAGS, 'stored sample');

  const alerts = await eventually(async () => {
    const rows = await pipeline.store!.queryAlerts({ agentId, from: 0, to: Date.now() + 60_000 });
    return rows.some((alert) => alert.state === 'firing') ? rows : undefined;
  }, 30_000, 'stored alerts');
  t.same(alerts.find((alert) => alert.state === 'firing')!.tags, EXPECTED_TAGS, 'stored alert');

  // GET /v1/agents returns the registry's records as they are.
  const record = await pipeline.registry!.get(agentId);
  t.same(record?.tags, EXPECTED_TAGS, 'agent registry tags');
  t.same(record?.host, HOST, 'agent registry host facts');
});
