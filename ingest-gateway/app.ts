import { Hono } from 'hono';
import type { Bus } from '../pipeline/bus/bus.js';
import type { Clock } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { AgentRegistry } from '../pipeline/state/agent-registry.js';
import type { GatewayConfig } from './config.js';
import { errorResponse } from './problem.js';
import { agentRoutes } from './routes/agents.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';

export interface GatewayDeps {
  bus: Bus;
  metricsTopic: string;
  registry: AgentRegistry;
  config: GatewayConfig;
  clock: Clock;
  logger: Logger;
}

/** Builds the gateway's Hono app; `startGateway` serves it over HTTP. */
export function createGatewayApp(deps: GatewayDeps): Hono {
  const app = new Hono();

  app.route('/', metricsRoute({ ...deps, topic: deps.metricsTopic }));
  app.route('/', agentRoutes(deps.registry));
  app.route('/', healthRoutes(deps.bus));

  app.notFound((c) => errorResponse(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    deps.logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return errorResponse(c, 500, 'internal_error', 'the gateway failed to handle the request; see its log');
  });

  return app;
}
