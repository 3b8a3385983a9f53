import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { ManualClock } from '../pipeline/clock/index.js';
import { silentLogger } from '../pipeline/log/logger.js';
import { DASHBOARD_SUBPROTOCOL } from './client/protocol.js';
import { DashboardHub } from './hub.js';
import { reportBatch, T0, testFleet } from './test-support/fixtures.js';
import { SocketEndpoint, type UpgradeDecision } from './websocket.js';

/** Accepts the subprotocol token `bearer.good`, as GatewaySecurity.authorizeUpgrade does with a valid token. */
async function authorize(request: IncomingMessage): Promise<UpgradeDecision> {
  if ((request.headers['sec-websocket-protocol'] ?? '').includes('bearer.good')) return { ok: true, clientId: 'fpc_test' };
  return { ok: false, status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="fleetpulse"' }, problem: { error: { code: 'missing_token', message: 'sign in' } } };
}

async function setup(t: Test) {
  const clock = new ManualClock(T0);
  const fleet = testFleet();
  const hub = new DashboardHub({ fleet, clock, logger: silentLogger, settings: { sparklinePoints: 5, lateIntervals: 2, pollIntervalMs: 2_000 }, pushIntervalMs: 250, socketMaxAgeMs: 60_000 });
  hub.start();
  const endpoint = new SocketEndpoint({ path: '/dashboard/ws', hub, authorize, logger: silentLogger });
  const unhandled: string[] = [];
  const server = createServer();
  server.on('upgrade', (request, socket, head) => {
    if (!endpoint.handleUpgrade(request, socket, head)) {
      unhandled.push(request.url ?? '');
      socket.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await hub.stop();
    endpoint.close();
    await new Promise((resolve) => server.close(resolve));
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { clock, fleet, url, unhandled };
}

/** Opens a socket and resolves with the HTTP status of a rejected upgrade, or the open socket. */
function connect(url: string, protocols: string[], headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string } | WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    socket.once('error', reject);
  });
}

t.test('SocketEndpoint rejects upgrades it must not take', async (t) => {
  const { url, unhandled } = await setup(t);

  const crossOrigin = await connect(`${url}/dashboard/ws`, [DASHBOARD_SUBPROTOCOL, 'bearer.good'], { Origin: 'https://elsewhere.example' });
  t.match(crossOrigin, { status: 403, body: /accepts pages served by this host only/ });

  const noSubprotocol = await connect(`${url}/dashboard/ws`, ['bearer.good']);
  t.match(noSubprotocol, { status: 400, body: /fleetpulse\.dashboard\.v1/ });

  const noToken = await connect(`${url}/dashboard/ws`, [DASHBOARD_SUBPROTOCOL]);
  t.match(noToken, { status: 401, headers: { 'www-authenticate': 'Bearer realm="fleetpulse"' }, body: '{"error":{"code":"missing_token","message":"sign in"}}' });

  await t.rejects(connect(`${url}/elsewhere`, [DASHBOARD_SUBPROTOCOL, 'bearer.good']), 'another path is left to the server');
  t.same(unhandled, ['/elsewhere']);
});

t.test('SocketEndpoint streams the snapshot and diffs', async (t) => {
  const { clock, fleet, url } = await setup(t);
  const origin = url.replace('ws://', 'http://');
  const socket = (await connect(`${url}/dashboard/ws`, [DASHBOARD_SUBPROTOCOL, 'bearer.good'], { Origin: origin })) as WebSocket;
  t.equal(socket.protocol, DASHBOARD_SUBPROTOCOL, 'the server selects the dashboard protocol, never the token');

  const messages: Array<{ type: string; seq: number }> = [];
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as { type: string; seq: number }));
  fleet.recordBatch(reportBatch('web-1', T0, { cpu: 1 }));
  await clock.advance(250);
  fleet.recordBatch(reportBatch('web-2', T0 + 300, { cpu: 1 }));
  await clock.advance(250);
  while (messages.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
  t.same(messages.map((message) => [message.type, message.seq]), [['snapshot', 1], ['diff', 2]]);

  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  socket.send('hello');
  t.equal(await closed, 1008, 'a page that sends is disconnected');
});
