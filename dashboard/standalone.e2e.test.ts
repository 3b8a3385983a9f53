import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import WebSocket from 'ws';
import { startAgent } from '../agent/agent.js';
import { agentConfigSchema } from '../agent/config.js';
import { scriptedSource } from '../agent/scripted-source.js';
import { localTlsPaths } from '../ingest-gateway/tls/gateway-tls.js';
import { fleetpulseConfigSchema } from '../pipeline/cli/config.js';
import { startPipeline } from '../pipeline/cli/pipeline.js';
import { enrollAgent, enrollOperator, gatewayClient } from '../pipeline/cli/test-support/enroll.js';
import { silentLogger } from '../pipeline/log/logger.js';
import { eventually, testServices, uniqueName } from '../pipeline/test-support/services.js';
import { DASHBOARD_SUBPROTOCOL, type ServerMessage, type SnapshotMessage } from './client/protocol.js';

t.test('dashboard role alone serves its own port', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetpulse-dashboard-alone-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const prefix = uniqueName('dash');
  const config = fleetpulseConfigSchema.parse({
    deployment: 'distributed',
    log_level: 'silent',
    data_dir: dataDir,
    bus: { topic_prefix: `${prefix}.`, partitions: 2, kafka: { brokers: testServices.kafkaBrokers } },
    state: { redis: { url: testServices.redisUrl, key_prefix: `${prefix}:` } },
    store: { questdb: { http: testServices.questdbHttp, pg: testServices.questdbPg, table_prefix: `${prefix}_` } },
    gateway: { port: 0 },
    router: { default_receivers: ['console'] },
    notifier: { receivers: [{ name: 'console', type: 'console' }] },
    dashboard: { port: 0, push_interval: '100ms' },
  });

  const core = await startPipeline(config, { roles: ['gateway', 'processor', 'router', 'sink'], logger: silentLogger });
  t.teardown(() => core.stop());
  t.equal(core.dashboardUrl, undefined, 'no dashboard without the role');
  const dashboard = await startPipeline(config, { roles: ['dashboard'], logger: silentLogger });
  t.teardown(() => dashboard.stop());
  t.match(dashboard.dashboardUrl, /^https:\/\/127\.0\.0\.1:\d+\/dashboard\/$/);
  t.not(new URL(dashboard.dashboardUrl!).port, new URL(core.gatewayUrl!).port, 'a port of its own');

  const agentId = uniqueName('web');
  const agent = startAgent(
    agentConfigSchema.parse({ ...(await enrollAgent(config, agentId)), agent_id: agentId, gateway_url: core.gatewayUrl, interval: '300ms', probe_targets: ['127.0.0.1:9'], tags: { env: 'e2e' } }),
    { logger: silentLogger, source: scriptedSource(() => 30) },
  );
  t.teardown(() => agent.stop());

  const base = new URL(dashboard.dashboardUrl!).origin;
  const client = gatewayClient(config, base);
  t.teardown(() => client.close());
  t.equal((await client.get('/dashboard/')).status, 200, 'the page loads without a token');
  t.equal((await client.get('/dashboard/api/snapshot')).status, 401, 'the data needs a token');

  const token = await client.token(await enrollOperator(config, 'dashboard-alone'));
  const authorization = { authorization: `Bearer ${token}` };
  const snapshot = await eventually(async () => {
    const body = JSON.parse((await client.get('/dashboard/api/snapshot', authorization)).body) as SnapshotMessage;
    return body.agents.some((entry) => entry.id === agentId) ? body : undefined;
  }, 30_000, 'the agent in the snapshot');
  t.match(snapshot.agents.find((entry) => entry.id === agentId), { status: 'up', tags: { env: 'e2e' }, values: [30] });

  const heatmap = await eventually(async () => {
    const response = await client.get(`/v1/heatmap?metric=latency_ms&step=1m&filter=agent%3D${agentId}`, authorization);
    const body = JSON.parse(response.body) as { total?: number };
    return response.status === 200 && (body.total ?? 0) > 0 ? body : undefined;
  }, 30_000, 'latency samples in the heatmap');
  t.ok(heatmap.total! > 0, 'the heatmap reads the store');

  const messages = await new Promise<ServerMessage[]>((resolve, reject) => {
    const received: ServerMessage[] = [];
    const socket = new WebSocket(`${base.replace('https:', 'wss:')}/dashboard/ws`, [DASHBOARD_SUBPROTOCOL, `bearer.${token}`], { ca: readFileSync(localTlsPaths(dataDir).caCert) });
    socket.on('message', (data: Buffer) => {
      received.push(JSON.parse(data.toString()) as ServerMessage);
      if (received.some((message) => message.type === 'diff')) {
        socket.close();
        resolve(received);
      }
    });
    socket.on('error', reject);
  });
  t.equal(messages[0]?.type, 'snapshot', 'the socket starts with a snapshot');
  t.ok(messages.some((message) => message.type === 'diff'), 'and goes on with diffs');
});
