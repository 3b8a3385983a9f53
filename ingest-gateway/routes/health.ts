import { Hono } from 'hono';
import type { Bus } from '../../pipeline/bus/bus.js';

/**
 * GET /healthz answers 200 while the process serves requests.
 * GET /readyz answers 200 only while the bus is reachable, so a load
 * balancer stops sending batches that would get 503 anyway.
 */
export function healthRoutes(bus: Bus): Hono {
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    if (await bus.isReachable()) return c.json({ status: 'ready' });
    return c.json({ status: 'not ready', reason: 'the bus is not reachable' }, 503);
  });

  return app;
}
