import type { Hono, MiddlewareHandler } from 'hono';
import type { Bus, Subscription } from '../pipeline/bus/bus.js';
import type { Clock } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import { decodeRecords } from '../pipeline/messages/decode-records.js';
import { ALERTS, METRICS, type TopicSpec } from '../pipeline/messages/topics.js';
import type { AgentRegistry } from '../pipeline/state/agent-registry.js';
import type { DashboardConfig } from './config.js';
import { FleetState } from './fleet-state.js';
import { DashboardHub } from './hub.js';
import { DASHBOARD_PATH, dashboardRoutes } from './routes.js';
import { StaticAssets } from './static-assets.js';
import { type DeadmanThreshold, DeadmanThresholds } from './status.js';
import { SocketEndpoint, type UpgradeAuthorizer, type UpgradeHandler } from './websocket.js';

export interface DashboardRoleOptions {
  config: DashboardConfig;
  bus: Bus;
  topics: { metrics: string; alerts: string };
  /** The dashboard's own consumer groups. Each dashboard process needs groups of its own. */
  groups: { metrics: string; alerts: string };
  /** The processor's dead-man groups, and the names of every rule whose firing alert means its agent is silent. */
  deadman: { thresholds: readonly DeadmanThreshold[]; rules: readonly string[] };
  clock: Clock;
  logger: Logger;
  /** Folder of the built UI. When absent, the build output next to this module is used. */
  uiRoot?: string;
}

/** API authentication, applied to the data endpoints and the WebSocket. */
export interface DashboardAccess {
  // The type is `any` because the gateway's guards declare the gateway's own context variables.
  guard: MiddlewareHandler<any>;
  authorizeUpgrade: UpgradeAuthorizer;
}

/** The dashboard's HTTP side, to be served by an HTTPS server. */
export interface DashboardWeb {
  /** Routes with full paths under /dashboard. */
  routes: Hono;
  /** Handler for the server's `upgrade` event. It returns false for paths other than /dashboard/ws. */
  handleUpgrade: UpgradeHandler;
}

/** A running dashboard role. */
export interface DashboardRole {
  /** Consumers of the metrics and alerts topics. The caller closes them with its other consumers. */
  subscriptions: Subscription[];
  /** Builds the HTTP side with the API's authentication. Call it only once, because a second call throws. */
  web(access: DashboardAccess): DashboardWeb;
  /** Adds the agents listed in the registry, so that agents whose batches are older than the replayed part of the topic still appear. */
  seed(registry: Pick<AgentRegistry, 'list'>): Promise<void>;
  /**
   * Closes every socket and stops pushing diffs. Call it before the server that
   * serves `web` closes. Later calls do nothing.
   */
  stop(): Promise<void>;
}

/**
 * Starts the dashboard role. It reads the metrics and alerts topics in its
 * own consumer groups, starting `metrics_replay` and `alerts_replay` ago,
 * keeps every agent's state and sparklines in memory, and pushes diffs to the
 * pages. `web` builds the HTTP side later, because the server that serves it
 * (the gateway's or the dashboard's own) starts after the role.
 *
 * ```ts
 * const dashboard = await startDashboardRole({ config: config.dashboard, bus, topics, groups, deadman, clock, logger });
 * const web = dashboard.web({ guard: security.operatorGuard('read'), authorizeUpgrade: (request) => security.authorizeUpgrade(request, 'read') });
 * app.route('/', web.routes);
 * server.on('upgrade', (request, socket, head) => web.handleUpgrade(request, socket, head) || socket.destroy());
 * ```
 */
export async function startDashboardRole(options: DashboardRoleOptions): Promise<DashboardRole> {
  const { config, bus, clock } = options;
  const logger = options.logger.child({ component: 'dashboard' });

  const fleet = new FleetState({
    sparklinePoints: config.sparkline_points,
    defaultIntervalMs: config.report_interval,
    lateIntervals: config.late_intervals,
    thresholds: new DeadmanThresholds(options.deadman.thresholds, config.silent_after),
    deadmanRules: new Set(options.deadman.rules),
    forgetAfterMs: config.forget_after,
  });
  const hub = new DashboardHub({
    fleet,
    clock,
    logger,
    settings: { sparklinePoints: config.sparkline_points, lateIntervals: config.late_intervals, pollIntervalMs: config.poll_interval },
    pushIntervalMs: config.push_interval,
    socketMaxAgeMs: config.socket_max_age,
    retainMs: Math.max(60_000, 10 * config.poll_interval),
  });

  const subscriptions: Subscription[] = [];
  let endpoint: SocketEndpoint | undefined;
  let stopped = false;
  // Reads `topic` from `replayMs` ago and passes each readable message to `record`.
  const subscribeReplaying = <T>(topic: string, group: string, replayMs: number, spec: TopicSpec<T>, record: (message: T) => void) =>
    bus.subscribe({
      topic,
      group,
      onAssigned: () => bus.offsetsForTime(topic, clock.now() - replayMs),
      handle: async (records) => {
        for (const message of decodeRecords(spec, records, logger)) record(message);
      },
    });

  try {
    // Alerts first, so that dead-man alerts already count when the first agents show up.
    subscriptions.push(
      await subscribeReplaying(options.topics.alerts, options.groups.alerts, config.alerts_replay, ALERTS, (event) => fleet.recordAlert(event)),
    );
    subscriptions.push(
      await subscribeReplaying(options.topics.metrics, options.groups.metrics, config.metrics_replay, METRICS, (batch) => fleet.recordBatch(batch)),
    );
  } catch (error) {
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
    throw error;
  }
  hub.start();
  logger.info({ groups: options.groups, deadmanRules: options.deadman.rules }, 'dashboard role started');

  return {
    subscriptions,

    web(access) {
      if (endpoint) throw new Error('DashboardRole.web was called twice: serve the dashboard from one server only');
      const assets = StaticAssets.load(options.uiRoot);
      if (!assets.built) logger.warn('the dashboard UI is not built, so /dashboard/ responds with 503: run npm run build:dashboard');
      endpoint = new SocketEndpoint({ path: `${DASHBOARD_PATH}/ws`, hub, authorize: access.authorizeUpgrade, logger });
      return { routes: dashboardRoutes({ hub, assets, guard: access.guard }), handleUpgrade: endpoint.handleUpgrade };
    },

    async seed(registry) {
      try {
        const agents = await registry.list();
        for (const agent of agents) fleet.recordRegistryAgent(agent);
        logger.info({ agents: agents.length }, 'dashboard loaded the agent registry');
      } catch (error) {
        logger.warn({ err: error }, 'dashboard failed to read the agent registry, so agents appear only as their batches arrive');
      }
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      await hub.stop();
      endpoint?.close();
    },
  };
}
