import { isAbsolute, join } from 'node:path';
import type { DashboardRole } from '../../dashboard/role.js';
import type { GatewaySecurity } from '../../ingest-gateway/security.js';
import { type RunningProcessor, startProcessor } from '../../processors/processor.js';
import { startRouter } from '../../processors/router/router.js';
import { createChannels } from '../../sinks/channels/registry.js';
import { DuckDBStore } from '../../sinks/duckdb/duckdb-store.js';
import { Notifier } from '../../sinks/notifier.js';
import { QuestDBStore } from '../../sinks/questdb/questdb-store.js';
import { publishDeliveryDecisions, startDecisionSink } from '../../sinks/decision-sink.js';
import { startSinkRole } from '../../sinks/sink-role.js';
import type { Bus, Subscription } from '../bus/bus.js';
import { KafkaBus } from '../bus/kafka-bus.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { type Clock, systemClock } from '../clock/index.js';
import type { Logger } from '../log/logger.js';
import type { AgentRegistry } from '../state/agent-registry.js';
import { type CheckpointStore, MemoryCheckpointStore, RedisCheckpointStore } from '../state/checkpoint-store.js';
import { type DedupLog, MemoryDedupLog, RedisDedupLog } from '../state/dedup-log.js';
import type { SilenceStore } from '../state/silence-store.js';
import type { Store } from '../store/store.js';
import { createRouterState, createSilenceStore, openStoreReader } from './alerting.js';
import { UsageError, type Role, ROLES } from './args.js';
import type { FleetpulseConfig } from './config.js';
import { dashboardAccess, serveDashboardAlone, startDashboard } from './dashboard.js';
import { startGatewayRole, startLocalAgent } from './gateway.js';
import { topicConfigs, topicNames } from './topics.js';

export interface StartOptions {
  roles?: readonly Role[];
  logger: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** The configuration file, named in the gateway's enrollment hint. */
  configFile?: string;
}

/** A running set of roles in this process. */
export interface RunningPipeline {
  /** Base URL of the gateway, when this process runs it. */
  gatewayUrl?: string;
  /** URL of the dashboard page, such as https://127.0.0.1:8443/dashboard/, when this process runs the dashboard role. */
  dashboardUrl?: string;
  bus: Bus;
  store?: Store;
  registry?: AgentRegistry;
  processor?: RunningProcessor;
  /** Stops the local agent and the gateway first, lets consumers drain, then closes connections. */
  stop(): Promise<void>;
}

/** How long a graceful stop of the embedded deployment waits for consumers to handle what the gateway accepted. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Starts the configured roles in this process, the one composition root of
 * fleetpulse. Consumers start before the gateway, so nothing the gateway
 * accepts waits for a role that is still starting.
 */
export async function startPipeline(config: FleetpulseConfig, options: StartOptions): Promise<RunningPipeline> {
  const roles = new Set(options.roles ?? ROLES);
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const embedded = config.deployment === 'embedded';

  if (embedded && roles.size < ROLES.length) {
    throw new UsageError(
      `--role ${[...roles].join(', ')} needs deployment: distributed, because the embedded deployment's in-process bus connects roles only within one process`,
    );
  }

  const names = topicNames(config.bus);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'failed to stop a component cleanly');
      }
    }
  };

  try {
    const bus = createBus(config, clock, logger);
    await bus.start();
    stops.push(() => bus.close());
    const running: RunningPipeline = { bus, stop: stopAll };

    // Stops run in reverse order of registration: the gateway and agent stop
    // first, then consumers drain and stop, then the store and state close.
    let sink: { store: Store; dedupLog: DedupLog } | undefined;
    if (roles.has('sink')) {
      const store = createStore(config, clock, logger);
      await store.init();
      stops.push(() => store.close());
      const dedupLog = createDedupLog(config, clock);
      stops.push(() => dedupLog.close());
      sink = { store, dedupLog };
      running.store = store;
    }

    // Closed after the consumers stopped: the processor writes its last checkpoints while it hands partitions over.
    const stores: Array<() => Promise<void>> = [];
    stops.push(async () => {
      for (const close of stores) await close();
    });

    // One silence store serves the gateway's silences API and the router.
    let silences: SilenceStore | undefined;
    if (roles.has('router') || roles.has('gateway')) {
      const store = createSilenceStore(config, clock);
      stores.push(() => store.close());
      silences = store;
    }

    const subscriptions: Array<Pick<Subscription, 'close'>> = [];
    stops.push(async () => {
      if (bus instanceof MemoryBus) await bus.drain(DRAIN_TIMEOUT_MS);
      await Promise.all(subscriptions.map((subscription) => subscription.close()));
    });

    if (sink) {
      const notifierLogger = logger.child({ component: 'notifier' });
      const channels = await createChannels(config.notifier.receivers, { logger: notifierLogger, clock, env: options.env ?? process.env });
      const notifier = new Notifier({ channels, store: sink.store, dedupLog: sink.dedupLog, clock, logger: notifierLogger, config: config.notifier });
      subscriptions.push(
        ...(await startSinkRole({
          bus,
          store: sink.store,
          notifier,
          topics: names,
          groups: { metrics: names.groups.sinkMetrics, alerts: names.groups.sinkAlerts, notifications: names.groups.notifier, deadLetters: names.groups.deadLetters },
          logger: logger.child({ component: 'sink' }),
          onDeliveryResult: publishDeliveryDecisions(bus, names.decisions),
        })),
        await startDecisionSink({ bus, store: sink.store, topic: names.decisions, group: names.groups.sinkDecisions, logger: logger.child({ component: 'sink' }) }),
      );
      logger.info({ store: embedded ? 'duckdb' : 'questdb' }, 'sink role started');
    }

    if (roles.has('router')) {
      const routerState = createRouterState(config, clock, names.groups.router);
      stores.push(() => routerState.close());
      subscriptions.push(
        await startRouter({
          bus,
          alertsTopic: names.alerts,
          notificationsTopic: names.notifications,
          decisionsTopic: names.decisions,
          group: names.groups.router,
          config: config.router,
          state: routerState,
          silences: silences!,
          clock,
          logger: logger.child({ component: 'router' }),
        }),
      );
      logger.info('router role started');
    }

    if (roles.has('processor')) {
      const checkpoints = createCheckpointStore(config);
      stores.push(() => checkpoints.close());
      const processor = await startProcessor({
        bus,
        metricsTopic: names.metrics,
        alertsTopic: names.alerts,
        group: names.groups.processor,
        config: config.processor,
        receivers: config.notifier.receivers.map((receiver) => receiver.name),
        checkpoints,
        clock,
        logger: logger.child({ component: 'processor' }),
      });
      subscriptions.push(processor);
      running.processor = processor;
      logger.info('processor role started');
    }

    let dashboard: DashboardRole | undefined;
    if (roles.has('dashboard')) {
      const started = await startDashboard(config, bus, names, clock, logger);
      subscriptions.push(...started.subscriptions);
      stops.push(() => started.stop());
      dashboard = started;
    }

    if (roles.has('gateway')) {
      const storeReader = await openStoreReader(config, sink?.store, clock, logger);
      if (storeReader.close) stops.push(storeReader.close);
      const alerting = { silences: silences!, decisions: storeReader.reader };
      // With the gateway in this process, the dashboard shares its port under /dashboard/.
      const served = dashboard;
      const extend = served ? (security: GatewaySecurity) => served.web(dashboardAccess(security)) : undefined;
      const gateway = await startGatewayRole({ config, bus, metricsTopic: names.metrics, clock, logger, configFile: options.configFile, alerting, heatmap: storeReader.reader, extend });
      stops.push(() => gateway.stop());
      running.registry = gateway.registry;
      running.gatewayUrl = gateway.url;
      if (served) {
        await served.seed(gateway.registry);
        running.dashboardUrl = `${gateway.url}/dashboard/`;
        logger.info({ component: 'dashboard', url: running.dashboardUrl }, 'dashboard served on the gateway port (HTTPS only)');
      }

      if (config.local_agent.enabled) {
        const agent = await startLocalAgent(config, gateway, clock, logger);
        stops.push(() => agent.stop());
      }
    } else if (dashboard) {
      const alone = await serveDashboardAlone(config, dashboard, clock, logger);
      stops.push(() => alone.stop());
      running.dashboardUrl = `${alone.url}/dashboard/`;
    }

    if (dashboard) {
      const started = dashboard;
      // Stops run in reverse, so this closes the dashboard's WebSockets before the server that waits for them
      // closes. The stop registered at the role's start covers a startup that fails before this line.
      stops.push(() => started.stop());
    }

    return running;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function createBus(config: FleetpulseConfig, clock: Clock, logger: Logger): Bus {
  const topics = topicConfigs(config.bus);
  if (config.deployment === 'embedded') {
    return new MemoryBus({
      topics,
      capacityPerPartition: config.bus.memory.capacity_per_partition,
      publishTimeoutMs: config.bus.publish_timeout,
      clock,
      logger: logger.child({ component: 'bus' }),
    });
  }
  return new KafkaBus({
    brokers: config.bus.kafka.brokers,
    clientId: config.bus.kafka.client_id,
    topics,
    replicationFactor: config.bus.kafka.replication_factor,
    publishTimeoutMs: config.bus.publish_timeout,
    sessionTimeoutMs: config.bus.kafka.session_timeout,
    logger: logger.child({ component: 'bus' }),
  });
}

function createStore(config: FleetpulseConfig, clock: Clock, logger: Logger): Store {
  const storeLogger = logger.child({ component: 'store' });
  if (config.deployment === 'embedded') return new DuckDBStore({ config: { ...config.store.duckdb, path: duckdbPath(config) }, logger: storeLogger });
  return new QuestDBStore({ config: config.store.questdb, logger: storeLogger, clock });
}

/** Resolves store.duckdb.path against data_dir when it is relative. An absolute path and `:memory:` stay as they are. */
export function duckdbPath(config: FleetpulseConfig): string {
  const path = config.store.duckdb.path;
  return path === ':memory:' || isAbsolute(path) ? path : join(config.data_dir, path);
}

function createCheckpointStore(config: FleetpulseConfig): CheckpointStore {
  if (config.deployment === 'embedded') return new MemoryCheckpointStore();
  return new RedisCheckpointStore(config.state.redis.url, config.state.redis.key_prefix);
}

function createDedupLog(config: FleetpulseConfig, clock: Clock): DedupLog {
  if (config.deployment === 'embedded') return new MemoryDedupLog(clock);
  return new RedisDedupLog(config.state.redis.url, config.state.redis.key_prefix);
}
