import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

/** A request that a loopback server received, with the whole body read. */
export interface ReceivedRequest {
  method: string | undefined;
  /** Path and query. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A response a test scripts for one request, ahead of the imitation's own checks. */
export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type RequestHandler = (request: ReceivedRequest, response: ServerResponse) => void;

/**
 * Starts an HTTP server on 127.0.0.1 with a free port, records every request
 * and hands it to `handler`. The test's teardown closes it, open connections
 * included.
 */
export async function startLoopbackServer(t: Test, handler: RequestHandler): Promise<{ origin: string; requests: ReceivedRequest[] }> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received: ReceivedRequest = { method: request.method, url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(received);
      handler(received, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, requests };
}

/** Sends a scripted response. */
export function sendScripted(response: ServerResponse, scripted: ScriptedResponse): void {
  response.writeHead(scripted.status, scripted.headers).end(scripted.body ?? '');
}

/** Returns a port on 127.0.0.1 that nothing listens on, for connection-refused tests. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
