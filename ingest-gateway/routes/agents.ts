import { Hono } from 'hono';
import type { AgentRegistry } from '../../pipeline/state/agent-registry.js';
import { errorResponse } from '../problem.js';

/**
 * GET /v1/agents lists every known agent with its last-seen time (gateway
 * receive time, ms since epoch), final tags, host facts and the latest
 * value of each series.
 * GET /v1/agents/:agentId returns one of them.
 */
export function agentRoutes(registry: AgentRegistry): Hono {
  const app = new Hono();

  app.get('/v1/agents', async (c) => c.json({ agents: await registry.list() }));

  app.get('/v1/agents/:agentId', async (c) => {
    const agentId = c.req.param('agentId');
    const agent = await registry.get(agentId);
    if (!agent) return errorResponse(c, 404, 'agent_not_found', `no agent with id ${JSON.stringify(agentId)} has reported`);
    return c.json(agent);
  });

  return app;
}
