import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MiddlewareHandler } from 'hono';
import t, { type Test } from 'tap';
import { ManualClock } from '../pipeline/clock/index.js';
import { silentLogger } from '../pipeline/log/logger.js';
import { DashboardHub } from './hub.js';
import { dashboardRoutes } from './routes.js';
import { StaticAssets } from './static-assets.js';
import { T0, testFleet } from './test-support/fixtures.js';

/** Lets requests with `Authorization: Bearer good` through, as the gateway's operator guard does with a valid token. */
const guard: MiddlewareHandler = async (c, next) => {
  if (c.req.header('authorization') !== 'Bearer good') return c.json({ error: { code: 'missing_token', message: 'sign in' } }, 401);
  await next();
};

function setup(t: Test, built = true) {
  const root = mkdtempSync(join(tmpdir(), 'fleetpulse-dashboard-ui-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  if (built) {
    mkdirSync(join(root, 'ui'));
    mkdirSync(join(root, 'client'));
    writeFileSync(join(root, 'ui', 'index.html'), '<!doctype html><script type="module" src="ui/main.js"></script>');
    writeFileSync(join(root, 'ui', 'main.js'), 'export {};');
    writeFileSync(join(root, 'ui', 'notes.txt'), 'not served');
    writeFileSync(join(root, 'client', 'protocol.js'), 'export const DASHBOARD_SUBPROTOCOL = "x";');
  }
  const clock = new ManualClock(T0);
  const hub = new DashboardHub({ fleet: testFleet(), clock, logger: silentLogger, settings: { sparklinePoints: 5, lateIntervals: 2, pollIntervalMs: 2_000 }, pushIntervalMs: 250, socketMaxAgeMs: 60_000 });
  hub.start();
  t.teardown(() => hub.stop());
  const app = dashboardRoutes({ hub, assets: StaticAssets.load(root), guard });
  return { app, clock, hub };
}

t.test('dashboard routes serve the page with a strict policy', async (t) => {
  const { app } = setup(t);
  const redirect = await app.request('/dashboard');
  t.equal(redirect.status, 308);
  t.equal(redirect.headers.get('location'), '/dashboard/');

  const page = await app.request('/dashboard/');
  t.equal(page.status, 200);
  t.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  const policy = page.headers.get('content-security-policy') ?? '';
  t.match(policy, /default-src 'none'/);
  t.match(policy, /script-src 'self'(;|$)/);
  t.notMatch(policy, /unsafe-inline|unsafe-eval/);
  t.equal(page.headers.get('x-content-type-options'), 'nosniff');

  const script = await app.request('/dashboard/ui/main.js');
  t.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.equal(await script.text(), 'export {};');
  const etag = script.headers.get('etag')!;
  t.equal((await app.request('/dashboard/ui/main.js', { headers: { 'if-none-match': etag } })).status, 304, 'an unchanged file is not sent again');
  t.equal((await app.request('/dashboard/client/protocol.js')).status, 200);
});

t.test('dashboard routes serve only built page files', async (t) => {
  const { app } = setup(t);
  for (const path of ['/dashboard/ui/notes.txt', '/dashboard/ui/missing.js', '/dashboard/ui/..%2F..%2Fpackage.json', '/dashboard/static-assets.js']) {
    const response = await app.request(path);
    t.equal(response.status, 404, path);
  }
});

t.test('dashboard routes respond 503 before build', async (t) => {
  const { app } = setup(t, false);
  const page = await app.request('/dashboard/');
  t.equal(page.status, 503);
  t.match(await page.text(), /npm run build/);
});

t.test('dashboard API requires the guard', async (t) => {
  const { app, clock, hub } = setup(t);
  t.equal((await app.request('/dashboard/api/snapshot')).status, 401);
  t.equal((await app.request('/dashboard/api/changes')).status, 401);

  const pending = app.request('/dashboard/api/snapshot', { headers: { authorization: 'Bearer good' } });
  await clock.advance(250);
  const snapshot = await pending;
  t.equal(snapshot.status, 200);
  t.equal(snapshot.headers.get('cache-control'), 'no-store');
  t.match(await snapshot.json(), { type: 'snapshot', epoch: hub.epoch, agents: [] });

  const current = await app.request(`/dashboard/api/changes?epoch=${hub.epoch}&since=0`, { headers: { authorization: 'Bearer good' } });
  t.match(await current.json(), { messages: [{ type: 'heartbeat', seq: 0 }] });
});

t.test('dashboard API rejects an invalid since', async (t) => {
  const { app } = setup(t);
  const response = await app.request('/dashboard/api/changes?since=-1', { headers: { authorization: 'Bearer good' } });
  t.equal(response.status, 400);
  t.same(await response.json(), { error: { code: 'invalid_query', message: 'since must be the seq of the last message applied (a non-negative integer), found "-1"' } });
});
