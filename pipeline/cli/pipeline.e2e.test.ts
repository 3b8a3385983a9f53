import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import t from 'tap';
import { startAgent } from '../../agent/agent.js';
import { agentConfigSchema } from '../../agent/config.js';
import { scriptedSource } from '../../agent/scripted-source.js';
import { silentLogger } from '../log/logger.js';
import { eventually, testServices, uniqueName } from '../test-support/services.js';
import { startWebhookReceiver } from '../test-support/webhook-receiver.js';
import { type FleetpulseConfig, fleetpulseConfigSchema } from './config.js';
import { startPipeline } from './pipeline.js';
import { PER_ALERT_ROUTING, testServiceSections } from './test-support/deployment.js';
import { enrollAgent, enrollOperator, gatewayClient } from './test-support/enroll.js';
import { temporaryDirectory } from './test-support/files.js';

/** cpu_usage per collection: one crossing above 90, then back below. */
const CPU_SCRIPT = [20, 95, 96, 30];

/**
 * Plays CPU_SCRIPT, repeating its last high value until `release()`. A router
 * that reads the firing and the resolution in one flush notifies neither, as
 * Alertmanager would, so the test waits for the firing before going low.
 */
function cpuScript(): { next: () => number; release: () => void } {
  let position = 0;
  let released = false;
  const lastHigh = CPU_SCRIPT.length - 2;
  return {
    next: () => {
      const value = CPU_SCRIPT[position]!;
      if (position < CPU_SCRIPT.length - 1 && (position < lastHigh || released)) position++;
      return value;
    },
    release: () => {
      released = true;
    },
  };
}

/** Collapses runs of equal values into one: [20, 95, 96, 96, 30] becomes [20, 95, 96, 30]. */
const collapsed = (values: number[]): number[] => values.filter((value, index) => index === 0 || values[index - 1] !== value);

const RULES = `
- name: HighCPU
  condition: cpu_usage > 90
  severity: critical
  notify: [hook]
`;

function pipelineConfig(deployment: 'embedded' | 'distributed', webhookUrl: string, dataDir: string): FleetpulseConfig {
  const prefix = uniqueName('e2e');
  const ruleFile = join(dataDir, 'rules.yml');
  writeFileSync(ruleFile, RULES);
  return fleetpulseConfigSchema.parse({
    deployment,
    log_level: 'silent',
    // The local CA, credentials and signing keys go to the test's own directory.
    data_dir: dataDir,
    ...testServiceSections(prefix, { partitions: 2, dataDir }),
    gateway: { port: 0 },
    processor: { rule_files: [ruleFile] },
    router: { default_receivers: ['console'], ...PER_ALERT_ROUTING },
    notifier: {
      receivers: [
        { name: 'console', type: 'console' },
        { name: 'hook', type: 'webhook', url: webhookUrl },
      ],
      retry: { initial_backoff: '10ms', max_backoff: '100ms' },
    },
  });
}

async function agentConfig(config: FleetpulseConfig, gatewayUrl: string, agentId: string) {
  return agentConfigSchema.parse({
    ...(await enrollAgent(config, agentId)),
    agent_id: agentId,
    gateway_url: gatewayUrl,
    interval: '300ms',
    tags: { env: 'e2e', region: 'eu-west' },
    retry_initial: '50ms',
    retry_max: '500ms',
  });
}

for (const deployment of ['embedded', 'distributed'] as const) {
  t.test(`${deployment} pipeline end to end`, async (t) => {
    const dataDir = temporaryDirectory(t, 'fleetpulse-e2e-');
    const webhook = await startWebhookReceiver();
    t.teardown(() => webhook.close());

    const config = pipelineConfig(deployment, webhook.url, dataDir);
    const pipeline = await startPipeline(config, { logger: silentLogger });
    t.teardown(() => pipeline.stop());

    // One agent reads this host for real; the other follows the CPU script.
    const realAgent = startAgent(await agentConfig(config, pipeline.gatewayUrl!, uniqueName('host')), { logger: silentLogger });
    t.teardown(() => realAgent.stop());
    const scriptedId = uniqueName('scripted');
    const script = cpuScript();
    const scriptedAgent = startAgent(await agentConfig(config, pipeline.gatewayUrl!, scriptedId), { logger: silentLogger, source: scriptedSource(script.next) });
    t.teardown(() => scriptedAgent.stop());

    // The real host may cross 90 % CPU too; count the scripted agent's alerts only.
    const scripted = () => webhook.received.filter((hook) => (hook.body.alert as { agentId: string }).agentId === scriptedId);
    const statuses = () => scripted().map((hook) => (hook.body.alert as { state: string }).state);
    await eventually(() => (statuses().includes('firing') ? true : undefined), 60_000, 'the firing webhook');
    script.release();
    await eventually(() => (statuses().includes('resolved') ? true : undefined), 60_000, 'the resolution webhook');
    // Give a duplicate time to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    t.same(statuses(), ['firing', 'resolved'], 'firing and resolution delivered once each');
    const firing = scripted()[0]!;
    t.equal(firing.headers['idempotency-key'], firing.body.idempotencyKey);
    t.match(firing.body.alert, { rule: 'HighCPU', agentId: scriptedId, value: 95, tags: { env: 'e2e', region: 'eu-west' } });

    const client = gatewayClient(config, pipeline.gatewayUrl!);
    t.teardown(() => client.close());
    t.match(pipeline.gatewayUrl, /^https:\/\//, 'the gateway serves HTTPS');
    // GET /v1/agents needs an operator token with the read scope.
    const read = { authorization: `Bearer ${await client.token(await enrollOperator(config, uniqueName('operator')))}` };
    const agents = JSON.parse((await client.get('/v1/agents', read)).body) as { agents: Array<{ agentId: string; latest: Array<{ metric: string }> }> };
    const real = agents.agents.find((agent) => agent.agentId.startsWith('host_'));
    t.ok(real, 'the real agent is listed');
    for (const metric of ['cpu_usage', 'mem_used_pct', 'load1']) {
      t.ok(real!.latest.some((latest) => latest.metric === metric), `latest ${metric} listed`);
    }

    // The store contains the scripted agent's samples with their tags.
    const stored = await eventually(async () => {
      const rows = await pipeline.store!.querySamples({ agentId: scriptedId, metric: 'cpu_usage', from: 0, to: Date.now() + 60_000 });
      return rows.some((row) => row.value === CPU_SCRIPT.at(-1)) ? rows : undefined;
    }, 30_000, 'stored samples');
    t.same(collapsed(stored.map((row) => row.value).reverse()), CPU_SCRIPT, 'the script stored in order');
    // The gateway adds the host facts and the token's group to the agent's own tags.
    t.match(stored[0]!.tags, { env: 'e2e', region: 'eu-west', hostname: String, platform: process.platform, agent_group: 'default' });

    const alerts = await eventually(async () => {
      const rows = await pipeline.store!.queryAlerts({ agentId: scriptedId, from: 0, to: Date.now() + 60_000 });
      return rows.length >= 2 ? rows : undefined;
    }, 30_000, 'stored alerts');
    t.same(alerts.map((alert) => alert.state), ['resolved', 'firing']);

    if (deployment === 'distributed') {
      // Data engineers read QuestDB over its PostgreSQL wire port.
      const client = new pg.Client({ connectionString: testServices.questdbPg });
      await client.connect();
      t.teardown(() => client.end());
      const table = `${config.store.questdb.table_prefix}metrics`;
      const result = await client.query(`SELECT agent, metric, value, tag_env, tag_region, tag_agent_group, tag_platform FROM "${table}" WHERE agent = $1 AND metric = 'cpu_usage'`, [scriptedId]);
      t.ok(result.rows.length >= CPU_SCRIPT.length, 'rows readable through pg');
      t.match(result.rows[0], { agent: scriptedId, metric: 'cpu_usage', tag_env: 'e2e', tag_region: 'eu-west', tag_agent_group: 'default', tag_platform: process.platform });
      t.equal(typeof result.rows[0].value, 'number');
    }
  });
}
