import { lookup } from 'node:dns/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import t from 'tap';
import { connectTcp } from './source.js';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

t.test('connectTcp measures a loopback connect', async (t) => {
  const server = createServer((socket) => socket.destroy());
  const port = await listen(server);
  t.teardown(() => server.close());

  const latencyMs = await connectTcp('127.0.0.1', port, new AbortController().signal);
  t.ok(latencyMs >= 0 && latencyMs < 1_000, `connect took ${latencyMs} ms`);
});

t.test('connectTcp resolves a host name', async (t) => {
  // Listen where "localhost" resolves on this host, which is ::1 on some and 127.0.0.1 on others.
  const { address } = await lookup('localhost');
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  t.teardown(() => server.close());

  const latencyMs = await connectTcp('localhost', (server.address() as AddressInfo).port, new AbortController().signal);
  t.ok(latencyMs >= 0 && latencyMs < 1_000, `connect took ${latencyMs} ms`);
});

t.test('connectTcp rejects a refused connect', async (t) => {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));

  await t.rejects(connectTcp('127.0.0.1', port, new AbortController().signal), { code: 'ECONNREFUSED' });
});

t.test('connectTcp rejects an aborted signal', async (t) => {
  const controller = new AbortController();
  controller.abort(new Error('connect timed out after 1 ms'));
  await t.rejects(connectTcp('127.0.0.1', 9, controller.signal), { message: 'connect timed out after 1 ms' });
});
