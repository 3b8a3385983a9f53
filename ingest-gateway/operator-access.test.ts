import { createServer, type IncomingMessage, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { WebSocket, WebSocketServer } from 'ws';
import { MemoryBus } from '../pipeline/bus/memory-bus.js';
import { ManualClock } from '../pipeline/clock/index.js';
import { createLogger, silentLogger } from '../pipeline/log/logger.js';
import { MemoryAgentRegistry } from '../pipeline/state/memory-agent-registry.js';
import { MemorySilenceStore } from '../pipeline/state/silence-store.js';
import { createGatewayApp } from './app.js';
import { gatewayConfigSchema } from './config.js';
import type { ErrorBody } from './problem.js';
import type { GatewaySecurity } from './security.js';
import { createTestSecurity } from './test-support/security.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const TOPIC = 'test.metrics';

const SILENCE = { matchers: ['env="prod"'], ends_at: '2026-06-01T14:00:00Z', created_by: 'ops', comment: 'maintenance' };

async function setup(t: { teardown(cleanup: () => unknown): void }, config: Record<string, unknown> = {}) {
  const clock = new ManualClock(NOW);
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  const parsed = gatewayConfigSchema.parse(config);
  const testSecurity = await createTestSecurity({ clock, config: parsed, logger });
  t.teardown(() => testSecurity.close());

  const bus = new MemoryBus({ topics: [{ name: TOPIC, partitions: 1 }], capacityPerPartition: 100, publishTimeoutMs: 50, clock });
  const silences = new MemorySilenceStore({ clock });
  const existing = await silences.create({ matchers: [{ name: 'env', operator: '=', value: 'prod' }], startsAt: NOW, endsAt: NOW + 3_600_000, createdBy: 'ops', comment: 'seeded' });
  const app = createGatewayApp({
    bus,
    metricsTopic: TOPIC,
    registry: new MemoryAgentRegistry(),
    config: parsed,
    clock,
    logger: silentLogger,
    security: testSecurity.security,
    alerting: { silences, decisions: { queryDecisions: async () => [] } },
  });

  const bearer = async (subject: string, scopes: string[]) => ({ authorization: `Bearer ${await testSecurity.tokenFor(subject, scopes)}` });
  return { app, lines, security: testSecurity.security, bearer, silenceId: existing.id };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** One request per route of a group: method, path and body. */
function routesOf(silenceId: string) {
  return {
    read: [
      { method: 'GET', path: '/v1/agents' },
      { method: 'GET', path: '/v1/silences' },
      { method: 'GET', path: `/v1/silences/${silenceId}` },
      { method: 'GET', path: '/v1/alerts/a1b2c3/decisions' },
      { method: 'GET', path: '/metrics' },
    ],
    'silences:write': [
      { method: 'POST', path: '/v1/silences', body: JSON.stringify(SILENCE) },
      { method: 'DELETE', path: `/v1/silences/${silenceId}` },
    ],
  } as const;
}

async function send(gateway: Setup, route: { method: string; path: string; body?: string }, headers: Record<string, string> = {}): Promise<Response> {
  return gateway.app.request(route.path, { method: route.method, headers: { 'content-type': 'application/json', ...headers }, body: route.body });
}

async function errorOf(response: Response): Promise<ErrorBody['error']> {
  return ((await response.json()) as ErrorBody).error;
}

t.test('operator routes without a token', async (t) => {
  const gateway = await setup(t);
  for (const [scope, routes] of Object.entries(routesOf(gateway.silenceId))) {
    for (const route of routes) {
      const response = await send(gateway, route);
      t.equal(response.status, 401, `${route.method} ${route.path} (${scope})`);
      t.equal(response.headers.get('www-authenticate'), 'Bearer', `${route.method} ${route.path} challenge`);
      t.equal((await errorOf(response)).code, 'missing_token', `${route.method} ${route.path} error code`);
    }
  }
  t.equal(gateway.security.counters.value('fleetpulse_gateway_auth_rejected_total', { route: 'read', error: 'missing_token' }), 5);
  t.equal(gateway.security.counters.value('fleetpulse_gateway_auth_rejected_total', { route: 'silences', error: 'missing_token' }), 2);
});

t.test('operator routes with the wrong scope', async (t) => {
  const gateway = await setup(t);
  const routes = routesOf(gateway.silenceId);
  const agentToken = await gateway.bearer('web-1', ['metrics:write']);
  for (const route of routes.read) {
    const response = await send(gateway, route, agentToken);
    t.equal(response.status, 403, `${route.method} ${route.path} with metrics:write`);
    t.equal(
      response.headers.get('www-authenticate'),
      'Bearer error="insufficient_scope", error_description="the token lacks the scope read; request a token with credentials created with --scope read", scope="read"',
      `${route.method} ${route.path} challenge`,
    );
    t.same(await errorOf(response), { code: 'insufficient_scope', message: 'the token lacks the scope read; request a token with credentials created with --scope read' });
  }

  const readToken = await gateway.bearer('viewer', ['read']);
  for (const route of routes['silences:write']) {
    const response = await send(gateway, route, readToken);
    t.equal(response.status, 403, `${route.method} ${route.path} with read`);
    t.match(response.headers.get('www-authenticate'), /scope="silences:write"$/);
    t.same(await errorOf(response), { code: 'insufficient_scope', message: 'the token lacks the scope silences:write; request a token with credentials created with --scope silences:write' });
  }
});

t.test('operator routes with the right scope', async (t) => {
  const gateway = await setup(t);
  const routes = routesOf(gateway.silenceId);
  const readToken = await gateway.bearer('viewer', ['read']);
  for (const route of routes.read) {
    t.equal((await send(gateway, route, readToken)).status, 200, `${route.method} ${route.path}`);
  }

  const writeToken = await gateway.bearer('ops', ['silences:write']);
  const created = await send(gateway, routes['silences:write'][0], writeToken);
  t.equal(created.status, 201, 'POST /v1/silences');
  t.equal((await send(gateway, routes['silences:write'][1], writeToken)).status, 200, 'DELETE /v1/silences/:id');
});

t.test('operator routes reject invalid tokens', async (t) => {
  const gateway = await setup(t);
  const forged = await send(gateway, { method: 'GET', path: '/v1/agents' }, { authorization: 'Bearer not.a.jwt' });
  t.equal(forged.status, 401);
  t.match(forged.headers.get('www-authenticate'), /^Bearer error="invalid_token", error_description="the token is malformed/);

  const basic = await send(gateway, { method: 'GET', path: '/v1/agents' }, { authorization: 'Basic b3BzOnNlY3JldA==' });
  t.equal(basic.status, 401);
  t.equal((await errorOf(basic)).code, 'invalid_request');
});

t.test('health and keys stay open', async (t) => {
  const gateway = await setup(t);
  for (const path of ['/healthz', '/readyz', '/.well-known/jwks.json']) {
    t.equal((await gateway.app.request(path)).status, 200, path);
  }
});

t.test('open operator access', async (t) => {
  const gateway = await setup(t, { auth: { operator_access: 'open' } });
  const routes = routesOf(gateway.silenceId);
  for (const route of routes.read) {
    t.equal((await send(gateway, route)).status, 200, `${route.method} ${route.path}`);
  }
  t.equal((await send(gateway, routes['silences:write'][0])).status, 201, 'POST /v1/silences');
  t.equal((await send(gateway, routes['silences:write'][1])).status, 200, 'DELETE /v1/silences/:id');

  const warnings = gateway.lines.filter((line) => line.level === 40);
  t.equal(warnings.length, 1, 'one warning at startup');
  t.match(warnings[0]!.msg, /^gateway\.auth\.operator_access is open: agents, silences, alert decisions, \/metrics and the dashboard respond without a token/);
});

t.test('open operator access keeps the per-IP limit', async (t) => {
  const gateway = await setup(t, { auth: { operator_access: 'open' }, rate_limits: { routes: { read: { per_ip: '2/1m' } } } });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await gateway.app.request('/v1/agents')).status);
  t.same(statuses, [200, 200, 429]);
});

t.test('token operator access logs no warning', async (t) => {
  const gateway = await setup(t);
  t.same(gateway.lines.filter((line) => line.level >= 40), []);
});

t.test('operatorGuard rejects an unknown scope', async (t) => {
  const gateway = await setup(t);
  t.throws(() => gateway.security.operatorGuard('metrics:write' as 'read'), new TypeError('operatorGuard takes one of read, silences:write, found "metrics:write"'));
});

t.test('authorizeUpgrade with the bearer subprotocol', async (t) => {
  const gateway = await setup(t);
  const { authorization } = await gateway.bearer('viewer', ['read']);
  const token = authorization.slice('Bearer '.length);
  const upgrade = (headers: Record<string, string>) => new Request('https://127.0.0.1/v1/dashboard/live', { headers: { upgrade: 'websocket', ...headers } });

  const accepted = await gateway.security.authorizeUpgrade(upgrade({ 'sec-websocket-protocol': `fleetpulse.v1, bearer.${token}` }), 'read');
  t.match(accepted, { ok: true, subject: 'viewer' });
  t.match(accepted.ok && accepted.clientId, /^fpc_/);

  const header = await gateway.security.authorizeUpgrade(upgrade({ authorization }), 'read');
  t.match(header, { ok: true, subject: 'viewer' }, 'the Authorization header works too');

  const missing = await gateway.security.authorizeUpgrade(upgrade({ 'sec-websocket-protocol': 'fleetpulse.v1' }), 'read');
  t.match(missing, { ok: false, status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, problem: { error: { code: 'missing_token' } } });

  const both = await gateway.security.authorizeUpgrade(upgrade({ authorization, 'sec-websocket-protocol': `bearer.${token}` }), 'read');
  t.match(both, { ok: false, status: 400, problem: { error: { code: 'invalid_request', message: /not both$/ } } });

  const twice = await gateway.security.authorizeUpgrade(upgrade({ 'sec-websocket-protocol': `bearer.${token}, bearer.${token}` }), 'read');
  t.match(twice, { ok: false, status: 400, problem: { error: { message: 'offer one bearer.<token> subprotocol, not several' } } });

  const garbled = await gateway.security.authorizeUpgrade(upgrade({ 'sec-websocket-protocol': 'bearer.a"b' }), 'read');
  t.match(garbled, { ok: false, status: 401, problem: { error: { code: 'invalid_request' } } });

  const forged = await gateway.security.authorizeUpgrade(upgrade({ 'sec-websocket-protocol': 'bearer.not.a.jwt' }), 'read');
  t.match(forged, { ok: false, status: 401, problem: { error: { code: 'invalid_token' } }, headers: { 'WWW-Authenticate': /^Bearer error="invalid_token"/ } });

  const agentToken = (await gateway.bearer('web-1', ['metrics:write'])).authorization.slice('Bearer '.length);
  const agent = await gateway.security.authorizeUpgrade(upgrade({ 'sec-websocket-protocol': `bearer.${agentToken}` }), 'read');
  t.match(agent, { ok: false, status: 403, problem: { error: { code: 'insufficient_scope' } }, headers: { 'WWW-Authenticate': /scope="read"$/ } });

  t.equal(gateway.security.counters.value('fleetpulse_gateway_auth_rejected_total', { route: 'websocket', error: 'invalid_request' }), 3);
});

t.test('authorizeUpgrade in open mode', async (t) => {
  const gateway = await setup(t, { auth: { operator_access: 'open' } });
  const result = await gateway.security.authorizeUpgrade(new Request('https://127.0.0.1/live'), 'read');
  t.same(result, { ok: true });
});

/** Serves WebSocket upgrades on loopback as authorizeUpgrade's doc comment shows, selecting the fleetpulse.v1 subprotocol. */
async function startWebSocketServer(t: { teardown(cleanup: () => unknown): void }, security: GatewaySecurity): Promise<string> {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has('fleetpulse.v1') ? 'fleetpulse.v1' : false) });
  wss.on('connection', (ws: WebSocket, _request: IncomingMessage, clientId: string | undefined) => ws.send(JSON.stringify({ clientId })));
  const server = createServer();
  server.on('upgrade', async (request, socket, head) => {
    const result = await security.authorizeUpgrade(request, 'read');
    if (!result.ok) {
      const headers = Object.entries(result.headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      const body = JSON.stringify(result.problem);
      socket.end(`HTTP/1.1 ${result.status} ${STATUS_CODES[result.status]}\r\n${headers}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws: WebSocket) => wss.emit('connection', ws, request, result.clientId));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/live`;
}

/** Opens a WebSocket and resolves with its first message and protocol, or with the status of a rejected upgrade. */
function connect(url: string, protocols: string[], headers: Record<string, string> = {}): Promise<{ message: string; protocol: string } | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.on('message', (data) => {
      resolve({ message: String(data), protocol: ws.protocol });
      ws.close();
    });
    ws.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    ws.on('error', reject);
  });
}

t.test('authorizeUpgrade on a WebSocket server', async (t) => {
  const gateway = await setup(t, { rate_limits: { routes: { read: { per_ip: '3/1m' } } } });
  const url = await startWebSocketServer(t, gateway.security);
  const token = (await gateway.bearer('viewer', ['read'])).authorization.slice('Bearer '.length);

  const opened = await connect(url, ['fleetpulse.v1', `bearer.${token}`]);
  t.match(opened, { protocol: 'fleetpulse.v1', message: /"clientId":"fpc_/ }, 'the server selects fleetpulse.v1, never the bearer protocol');

  const rejected = await connect(url, ['fleetpulse.v1']);
  t.match(rejected, { status: 401 });
  t.equal(JSON.parse((rejected as { body: string }).body).error.code, 'missing_token');

  const withHeader = await connect(url, ['fleetpulse.v1'], { authorization: `Bearer ${token}` });
  t.match(withHeader, { protocol: 'fleetpulse.v1' }, 'the Authorization header opens it too');

  const limited = await connect(url, ['fleetpulse.v1', `bearer.${token}`]);
  t.match(limited, { status: 429 }, 'the per-IP limit of the read routes applies');
  t.match(JSON.parse((limited as { body: string }).body).error.message, /^source address 127\.0\.0\.1 exceeded 3 requests per 60 s/);
});
