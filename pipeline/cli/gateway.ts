import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hono } from 'hono';
import { startAgent, type AgentHandle } from '../../agent/agent.js';
import { agentConfigSchema } from '../../agent/config.js';
import { createGatewayApp, type GatewayDeps } from '../../ingest-gateway/app.js';
import { GatewaySecurity } from '../../ingest-gateway/security.js';
import { listen, type RunningServer } from '../../ingest-gateway/server.js';
import { loadGatewayTls } from '../../ingest-gateway/tls/gateway-tls.js';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../clock/index.js';
import type { Logger } from '../log/logger.js';
import type { AgentRegistry } from '../state/agent-registry.js';
import { MemoryAgentRegistry } from '../state/memory-agent-registry.js';
import { RedisAgentRegistry } from '../state/redis-agent-registry.js';
import type { FleetpulseConfig } from './config.js';
import { localAgentCredentials, localOperatorCredentials, logEnrollment, logOperatorAccess, openSecurityStores, type SecurityStores } from './security.js';

export interface GatewayRole {
  /** Base URL, such as https://127.0.0.1:8443. */
  url: string;
  port: number;
  registry: AgentRegistry;
  security: GatewaySecurity;
  stores: SecurityStores;
  /** Path of the local CA's certificate, set when the gateway generated its own server certificate. */
  localCaFile?: string;
  /** Stops accepting connections, then closes the security timers and stores and the registry. */
  stop(): Promise<void>;
}

export interface GatewayRoleOptions {
  config: FleetpulseConfig;
  bus: Bus;
  metricsTopic: string;
  clock: Clock;
  logger: Logger;
  /** Configuration file named in the enrollment hint, absent when the defaults are used. */
  configFile?: string;
  /** Silences and decisions for the alerting routes in ingest-gateway/routes/alerting.ts. */
  alerting?: GatewayDeps['alerting'];
  /** Read access to the store for the heatmap routes in ingest-gateway/routes/heatmap.ts. */
  heatmap?: GatewayDeps['heatmap'];
  /** Builds the routes of another role that share the gateway's port, such as the dashboard's, with the gateway's security. */
  extend?: (security: GatewaySecurity) => GatewayExtension;
}

/** Routes and a WebSocket endpoint that the gateway's HTTPS server serves for another role. */
export interface GatewayExtension {
  routes: Hono;
  /** Handles a WebSocket upgrade request. Returns false for a path it does not serve, and the gateway then closes the connection. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

/**
 * Starts the gateway: TLS material (a local CA on the first start without
 * configured certificates), the security stores of the deployment, signing
 * keys and revocation list, the embedded deployment's operator credentials,
 * then the HTTPS server. Logs how to enroll an agent on another host and how
 * to get an operator token.
 */
export async function startGatewayRole(options: GatewayRoleOptions): Promise<GatewayRole> {
  const { config, bus, clock } = options;
  const logger = options.logger.child({ component: 'gateway' });
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  try {
    const tls = loadGatewayTls(config.gateway, config.data_dir, logger);
    const registry = createRegistry(config);
    cleanups.push(() => registry.close());
    const stores = openSecurityStores(config, clock, logger);
    cleanups.push(() => stores.close());
    const security = await GatewaySecurity.start({ config: config.gateway, ...stores, clock, logger });
    cleanups.push(() => security.stop());
    // The embedded quick start gets operator credentials of its own, so its read API and dashboard can sign in.
    const operator = config.deployment === 'embedded' && config.gateway.auth.operator_access === 'token' ? await localOperatorCredentials(config, stores.credentials, logger) : undefined;

    const app = createGatewayApp({ bus, metricsTopic: options.metricsTopic, registry, config: config.gateway, clock, logger, security, alerting: options.alerting, heatmap: options.heatmap });
    const extension = options.extend?.(security);
    if (extension) app.route('/', extension.routes);
    const onUpgrade = extension
      ? (request: IncomingMessage, socket: Duplex, head: Buffer) => {
          if (!extension.handleUpgrade(request, socket, head)) socket.destroy();
        }
      : undefined;
    const server: RunningServer = await listen(app, { host: config.gateway.host, port: config.gateway.port, tls, onPlainHttp: () => security.counters.plainHttpRejected(), onUpgrade });
    cleanups.push(() => server.close());
    logger.info(
      { url: server.url, agents: `${server.url}/v1/agents`, clientAuth: config.gateway.tls.client_auth, caFile: tls.localCaFile },
      'gateway listening (HTTPS only)',
    );
    logEnrollment(config, server.url, logger, options.configFile);
    logOperatorAccess(config, server.url, logger, operator?.file, options.configFile);

    return { url: server.url, port: server.port, registry, security, stores, localCaFile: tls.localCaFile, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function createRegistry(config: FleetpulseConfig): AgentRegistry {
  if (config.deployment === 'embedded') return new MemoryAgentRegistry();
  return new RedisAgentRegistry(config.state.redis.url, config.state.redis.key_prefix);
}

/**
 * Starts an agent for this host that reports to this process's gateway over
 * HTTPS with its own client credentials (created on the first start). It
 * probes the gateway unless local_agent.probe_targets names other targets.
 */
export async function startLocalAgent(config: FleetpulseConfig, gateway: GatewayRole, clock: Clock, logger: Logger): Promise<AgentHandle> {
  const { enabled: _enabled, gateway_url: gatewayUrl, ...agentKeys } = config.local_agent;
  const probeTargets = agentKeys.probe_targets.length > 0 ? agentKeys.probe_targets : [`127.0.0.1:${gateway.port}`];
  // A gateway listening on every interface is reached over loopback.
  const ownUrl = gateway.url.replace(/^https:\/\/(0\.0\.0\.0|\[::\])/, (_, host: string) => `https://${host === '[::]' ? '[::1]' : '127.0.0.1'}`);
  const agentConfig = agentConfigSchema.parse({});
  Object.assign(agentConfig, agentKeys, { gateway_url: gatewayUrl ?? ownUrl, probe_targets: probeTargets });

  if (agentConfig.client_id === undefined) {
    const credentials = await localAgentCredentials(config, gateway.stores.credentials, agentConfig.agent_id, logger);
    agentConfig.client_id = credentials.clientId;
    agentConfig.client_secret = credentials.clientSecret;
  }
  if (agentConfig.tls.ca_file === undefined && gateway.localCaFile !== undefined) agentConfig.tls = { ...agentConfig.tls, ca_file: gateway.localCaFile };

  logger.info({ agentId: agentConfig.agent_id, gateway: agentConfig.gateway_url, clientId: agentConfig.client_id, probeTargets }, 'local agent started');
  return startAgent(agentConfig, { logger: logger.child({ component: 'agent' }), clock });
}
