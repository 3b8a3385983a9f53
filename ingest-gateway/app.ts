import { Hono } from 'hono';
import type { Bus } from '../pipeline/bus/bus.js';
import type { Clock } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { AgentRegistry } from '../pipeline/state/agent-registry.js';
import type { HeatmapReader } from '../pipeline/store/heatmap.js';
import type { GatewayConfig } from './config.js';
import { errorResponse } from './problem.js';
import { agentRoutes } from './routes/agents.js';
import { type AlertingRoutesDeps, alertingRoutes } from './routes/alerting.js';
import { healthRoutes } from './routes/health.js';
import { heatmapRoutes } from './routes/heatmap.js';
import { metricsRoute } from './routes/metrics.js';
import type { GatewaySecurity } from './security.js';

export interface GatewayDeps {
  bus: Bus;
  metricsTopic: string;
  registry: AgentRegistry;
  config: GatewayConfig;
  clock: Clock;
  logger: Logger;
  /** Tokens, client certificates and rate limits, built by GatewaySecurity in security.ts. */
  security: GatewaySecurity;
  /** Silences and the decisions log. The routes of routes/alerting.ts are served only when this is given. */
  alerting?: Pick<AlertingRoutesDeps, 'silences' | 'decisions'>;
  /** Read access to the store for GET /v1/heatmap and /v1/heatmap/cell. Without it, both routes respond 503. */
  heatmap?: HeatmapReader;
}

/** Builds the gateway's Hono app; `listen` in server.ts serves it over HTTPS. */
export function createGatewayApp(deps: GatewayDeps): Hono {
  const app = new Hono();

  app.route('/', deps.security.routes());
  app.route('/', metricsRoute({ ...deps, topic: deps.metricsTopic, guards: deps.security.ingestGuards() }));
  // The pattern matches /v1/agents itself too.
  app.use('/v1/agents/*', deps.security.operatorGuard('read'));
  app.route('/', agentRoutes(deps.registry));
  app.route('/', heatmapRoutes({ store: deps.heatmap, clock: deps.clock, guards: [deps.security.operatorGuard('read')] }));
  app.route('/', healthRoutes(deps.bus));
  if (deps.alerting) {
    const readGuards = [deps.security.operatorGuard('read')];
    const writeGuards = [deps.security.operatorGuard('silences:write')];
    app.route('/', alertingRoutes({ ...deps.alerting, clock: deps.clock, readGuards, writeGuards }));
  }

  app.notFound((c) => errorResponse(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    deps.logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return errorResponse(c, 500, 'internal_error', 'the gateway failed to handle the request; see its log');
  });

  return app;
}
