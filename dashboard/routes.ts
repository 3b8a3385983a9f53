import { createHash } from 'node:crypto';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DashboardHub } from './hub.js';
import { SECURITY_HEADERS, type StaticAsset, type StaticAssets } from './static-assets.js';

/** Path prefix of every dashboard route, on the gateway's server or on the dashboard's own server. */
export const DASHBOARD_PATH = '/dashboard';

export interface DashboardRoutesDeps {
  hub: DashboardHub;
  assets: StaticAssets;
  /** Authentication middleware for the data endpoints, such as GatewaySecurity.operatorGuard('read'). */
  // The type is `any` because the gateway's guards declare the gateway's own context variables.
  guard: MiddlewareHandler<any>;
}

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>fleetpulse dashboard</title>
<p>The dashboard UI is not built. Run <code>npm run build</code> (or <code>npm run build:dashboard</code>) and restart fleetpulse.</p>`;

/**
 * Builds the dashboard's HTTP routes, with full paths under /dashboard:
 *
 * - `GET /dashboard/` the page, and `GET /dashboard/ui/*`, `/dashboard/client/*`
 *   its scripts and stylesheet, without authentication.
 * - `GET /dashboard/api/snapshot` and `GET /dashboard/api/changes?epoch=&since=`
 *   (see client/protocol.ts), behind `guard`.
 *
 * Every response carries a strict Content-Security-Policy. The WebSocket at
 * /dashboard/ws is served by websocket.ts on the server's upgrade event.
 *
 * ```ts
 * gatewayApp.route('/', dashboardRoutes({ hub, assets, guard: security.operatorGuard('read') }));
 * ```
 */
export function dashboardRoutes(deps: DashboardRoutesDeps): Hono {
  const { hub, assets } = deps;
  const app = new Hono();
  const etags = new WeakMap<StaticAsset, string>();

  app.use(`${DASHBOARD_PATH}/*`, async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });

  app.get(DASHBOARD_PATH, (c) => c.redirect(`${DASHBOARD_PATH}/`, 308));

  const serve = (c: Context, path: string): Response => {
    const asset = assets.get(path);
    if (!asset) return problem(c, 404, 'not_found', `the dashboard has no file ${JSON.stringify(path)}`);
    let etag = etags.get(asset);
    if (etag === undefined) {
      etag = `"${createHash('sha256').update(asset.body).digest('base64url').slice(0, 22)}"`;
      etags.set(asset, etag);
    }
    const headers = { 'Content-Type': asset.contentType, 'Cache-Control': 'no-cache', ETag: etag };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    return c.body(new Uint8Array(asset.body), 200, headers);
  };

  app.get(`${DASHBOARD_PATH}/`, (c) => {
    if (!assets.built) return c.html(NOT_BUILT_PAGE, 503);
    return serve(c, 'ui/index.html');
  });
  app.get(`${DASHBOARD_PATH}/ui/:file`, (c) => serve(c, `ui/${c.req.param('file')}`));
  app.get(`${DASHBOARD_PATH}/client/:file`, (c) => serve(c, `client/${c.req.param('file')}`));

  app.get(`${DASHBOARD_PATH}/api/snapshot`, deps.guard, async (c) => json(c, await hub.snapshot()));

  app.get(`${DASHBOARD_PATH}/api/changes`, deps.guard, async (c) => {
    const since = c.req.query('since');
    if (since !== undefined && !/^\d{1,15}$/.test(since)) {
      return problem(c, 400, 'invalid_query', `since must be the seq of the last message applied (a non-negative integer), found ${JSON.stringify(since.slice(0, 40))}`);
    }
    return json(c, await hub.changesSince(c.req.query('epoch'), since === undefined ? undefined : Number(since)));
  });

  return app;
}

function json(c: Context, text: string): Response {
  return c.body(text, 200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
}

/** Builds an error response in the gateway's JSON error format. */
function problem(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  return c.json({ error: { code, message } }, status);
}
