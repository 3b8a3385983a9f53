import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { silentLogger } from '../../pipeline/log/logger.js';
import { IlpWriter, QuestDBWriteError } from './writer.js';

/**
 * Starts a loopback stand-in for QuestDB's HTTP server: /settings advertises ILP
 * protocol versions 1 and 2, and POST /write responds with the next status
 * from `statuses` (204 once they run out).
 */
async function startFakeQuestDB(t: Test, statuses: number[]): Promise<{ url: string; writes: string[]; stop: () => Promise<void> }> {
  const writes: string[] = [];
  const server: Server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/settings') {
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ config: { 'line.proto.support.versions': [1, 2] } }));
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/write?precision=n') {
        response.writeHead(404).end();
        return;
      }
      writes.push(Buffer.concat(chunks).toString('latin1'));
      const status = statuses.shift() ?? 204;
      response.writeHead(status).end(status === 204 ? undefined : JSON.stringify({ code: 'invalid', message: 'rejected by the fake server' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = async (): Promise<void> => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.teardown(stop);
  return { url, writes, stop };
}

async function openWriter(t: Test, url: string, maxAttempts = 3): Promise<IlpWriter> {
  const writer = new IlpWriter({ url, requestTimeoutMs: 2_000, maxAttempts, backoff: { initialDelayMs: 1, maxDelayMs: 5 }, logger: silentLogger });
  t.teardown(() => writer.close());
  return writer;
}

function oneRow(writer: IlpWriter): Buffer {
  const buffer = writer.newBuffer();
  buffer.table('metrics').symbol('agent', 'web-1').floatColumn('value', 1).at(Date.parse('2026-03-01T12:00:00Z'), 'ms');
  return buffer.toBufferNew()!;
}

t.test('IlpWriter retries 5xx until acknowledged', async (t) => {
  const server = await startFakeQuestDB(t, [503, 500]);
  const writer = await openWriter(t, server.url);
  await writer.open();
  await writer.send(oneRow(writer), 'metrics');
  t.equal(server.writes.length, 3, 'two failures, then success');
  t.equal(new Set(server.writes).size, 1, 'every attempt sent the same rows');
});

t.test('IlpWriter gives up after max attempts', async (t) => {
  const server = await startFakeQuestDB(t, [503, 503, 503, 503]);
  const writer = await openWriter(t, server.url, 3);
  await writer.open();
  await t.rejects(writer.send(oneRow(writer), 'metrics'), { name: 'QuestDBWriteError', retryable: true, attempts: 3, status: 503, message: /gave up after 3 attempts/ });
  t.equal(server.writes.length, 3);
});

t.test('IlpWriter does not retry a 400', async (t) => {
  const server = await startFakeQuestDB(t, [400]);
  const writer = await openWriter(t, server.url);
  await writer.open();
  const failure = writer.send(oneRow(writer), 'metrics');
  await t.rejects(failure, QuestDBWriteError);
  await t.rejects(failure, { name: 'QuestDBWriteError', retryable: false, attempts: 1, status: 400 });
  t.equal(server.writes.length, 1);
});

t.test('IlpWriter retries a refused connection', async (t) => {
  const server = await startFakeQuestDB(t, []);
  const writer = await openWriter(t, server.url, 2);
  await writer.open();
  await server.stop();

  await t.rejects(writer.send(oneRow(writer), 'metrics'), { name: 'QuestDBWriteError', retryable: true, attempts: 2, message: /ECONNREFUSED.*gave up after 2 attempts/ });
});
