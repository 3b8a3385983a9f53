import { Hono } from 'hono';
import type { DashboardAccess, DashboardRole } from '../../dashboard/role.js';
import { startDashboardRole } from '../../dashboard/role.js';
import type { DeadmanThreshold } from '../../dashboard/status.js';
import { heatmapRoutes } from '../../ingest-gateway/routes/heatmap.js';
import { GatewaySecurity } from '../../ingest-gateway/security.js';
import { listen } from '../../ingest-gateway/server.js';
import { loadGatewayTls } from '../../ingest-gateway/tls/gateway-tls.js';
import { loadRuleSet } from '../../processors/rules/rule-set.js';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../clock/index.js';
import { parseDuration } from '../config/duration.js';
import type { Logger } from '../log/logger.js';
import { RedisAgentRegistry } from '../state/redis-agent-registry.js';
import { openStoreReader } from './alerting.js';
import type { FleetpulseConfig } from './config.js';
import { openSecurityStores } from './security.js';
import type { TopicNames } from './topics.js';

/** Returns the dashboard's own consumer groups, so that it reads every partition of both topics. */
export function dashboardGroups(config: FleetpulseConfig): { metrics: string; alerts: string } {
  const prefix = config.bus.topic_prefix;
  const suffix = config.dashboard.instance === '' ? '' : `-${config.dashboard.instance}`;
  return { metrics: `${prefix}dashboard-metrics${suffix}`, alerts: `${prefix}dashboard-alerts${suffix}` };
}

/**
 * Collects the settings from which the dashboard marks agents silent: the
 * processor's dead-man groups (tag matchers and timeout), and the names of
 * the rules whose firing alert means that an agent sent nothing at all.
 * Those rules are the dead-man groups and the rules whose condition reads
 * absent(window) without a metric. Rule files with errors leave only the
 * groups, with a warning, because the processor reports those errors itself.
 */
export function deadmanSettings(config: FleetpulseConfig, logger: Logger): { thresholds: DeadmanThreshold[]; rules: string[] } {
  const thresholds = config.processor.deadman.map((group) => ({
    name: group.name,
    match: group.match,
    matchRe: group.match_re,
    // The processor's schema accepts only duration text, so the fallback covers only a timeout too large to count in milliseconds.
    timeoutMs: parseDuration(group.timeout) ?? config.dashboard.silent_after,
  }));

  const rules = new Set(thresholds.map((group) => group.name));
  try {
    const loaded = loadRuleSet({
      files: config.processor.rule_files,
      deadman: config.processor.deadman,
      receivers: config.notifier.receivers.map((receiver) => receiver.name),
      maxWindowMs: config.processor.max_window,
    });
    if (loaded.ok) {
      for (const rule of loaded.rules) {
        const windows = [...rule.condition.compiled.windows, ...(rule.resolve?.compiled.windows ?? [])];
        if (windows.some((spec) => spec.fn === 'absent' && spec.selector === null)) rules.add(rule.name);
      }
    } else {
      logger.warn({ diagnostics: loaded.diagnostics.length }, 'dashboard: the rule files have errors, so only dead-man groups mark agents silent');
    }
  } catch (error) {
    logger.warn({ err: error }, 'dashboard: failed to read the rule files, so only dead-man groups mark agents silent');
  }
  return { thresholds, rules: [...rules] };
}

/**
 * Starts the dashboard role's consumers and push loop. The gateway, with
 * `dashboardAccess`, or `serveDashboardAlone` serves its HTTP side.
 */
export async function startDashboard(config: FleetpulseConfig, bus: Bus, names: TopicNames, clock: Clock, logger: Logger): Promise<DashboardRole> {
  return startDashboardRole({
    config: config.dashboard,
    bus,
    topics: { metrics: names.metrics, alerts: names.alerts },
    groups: dashboardGroups(config),
    deadman: deadmanSettings(config, logger),
    clock,
    logger,
  });
}

/** Builds the API's authentication for the dashboard: operator tokens with the read scope, unless operator access is open. */
export function dashboardAccess(security: GatewaySecurity): DashboardAccess {
  return {
    guard: security.operatorGuard('read'),
    authorizeUpgrade: (request) => security.authorizeUpgrade(request, 'read'),
  };
}

/**
 * Serves the dashboard on its own HTTPS port (`dashboard.host`, `dashboard.port`)
 * for a process without the gateway role, with the gateway's TLS material
 * and token checks. It also serves POST /oauth/token, where the page signs
 * in, and the heatmap routes from the store (QuestDB over its PostgreSQL
 * wire port). In the distributed deployment it first lists the agents in the
 * Redis registry.
 */
export async function serveDashboardAlone(config: FleetpulseConfig, dashboard: DashboardRole, clock: Clock, logger: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  try {
    if (config.deployment === 'distributed') {
      const registry = new RedisAgentRegistry(config.state.redis.url, config.state.redis.key_prefix);
      try {
        await dashboard.seed(registry);
      } finally {
        await registry.close();
      }
    }

    const tls = loadGatewayTls(config.gateway, config.data_dir, logger);
    const stores = openSecurityStores(config, clock, logger);
    cleanups.push(() => stores.close());
    const security = await GatewaySecurity.start({ config: config.gateway, ...stores, clock, logger });
    cleanups.push(() => security.stop());

    const store = await openStoreReader(config, undefined, clock, logger);
    if (store.close) cleanups.push(store.close);

    const web = dashboard.web(dashboardAccess(security));
    const app = new Hono();
    app.route('/', security.routes());
    app.route('/', heatmapRoutes({ store: store.reader, clock, guards: [security.operatorGuard('read')] }));
    app.route('/', web.routes);
    app.get('/', (c) => c.redirect('/dashboard/', 302));
    app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}; the dashboard is at /dashboard/` } }, 404));

    const server = await listen(app, {
      host: config.dashboard.host ?? config.gateway.host,
      port: config.dashboard.port,
      tls,
      onUpgrade: (request, socket, head) => {
        if (!web.handleUpgrade(request, socket, head)) socket.destroy();
      },
    });
    cleanups.push(() => server.close());
    logger.info({ url: `${server.url}/dashboard/` }, 'dashboard listening (HTTPS only)');
    return { url: server.url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
