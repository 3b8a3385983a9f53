import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMetricBatch, type MetricBatch, type Sample } from '../pipeline/messages/metric-batch.js';

/** The test gateway's response to one valid request, or `hang` to never respond. */
export type GatewayReply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** Chooses the reply to a valid batch; `index` counts valid requests from 0. */
export type GatewayScript = (batch: MetricBatch, index: number) => GatewayReply;

const TEN_YEARS_MS = 10 * 365 * 86_400_000;

/**
 * An imitation of the ingest gateway's POST /v1/metrics on 127.0.0.1, for
 * tests only. It checks the method, path, Content-Type and batch shape (with
 * the gateway's own parseMetricBatch), responds 400 and records a problem for
 * anything wrong, and lets the test script the reply to each valid batch.
 */
export class TestGateway {
  /** Every valid batch in arrival order, with the status of the response. */
  readonly requests: Array<{ batch: MetricBatch; status: number | 'hang' }> = [];
  /** Requests that broke the protocol; a passing test expects none. */
  readonly problems: string[] = [];
  private readonly hanging: ServerResponse[] = [];
  private server: Server;
  private port = 0;

  private constructor(public script: GatewayScript) {
    this.server = this.createServer();
  }

  /** Starts listening on 127.0.0.1 at a free port; the script responds 202 unless given. */
  static async start(script: GatewayScript = () => ({ status: 202 })): Promise<TestGateway> {
    const gateway = new TestGateway(script);
    await gateway.listen();
    return gateway;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Batches accepted with 202, in arrival order. */
  get accepted(): MetricBatch[] {
    return this.requests.filter((request) => request.status === 202).map((request) => request.batch);
  }

  /** Samples of the batches accepted with 202, in arrival order. */
  acceptedSamples(): Sample[] {
    return this.accepted.flatMap((batch) => batch.samples);
  }

  /** Closes the listener and every connection, so requests are refused until `restart`. */
  async close(): Promise<void> {
    for (const response of this.hanging.splice(0)) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port after `close`. */
  async restart(): Promise<void> {
    this.server = this.createServer();
    await this.listen();
  }

  private createServer(): Server {
    return createServer((request, response) => {
      void this.handle(request, response);
    });
  }

  private async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');

    const problem = this.checkRequest(request, text);
    if (typeof problem === 'string') {
      this.problems.push(problem);
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: problem }));
      return;
    }

    const reply = this.script(problem, this.requests.length);
    this.requests.push({ batch: problem, status: reply === 'hang' ? 'hang' : reply.status });
    if (reply === 'hang') {
      this.hanging.push(response);
      return;
    }
    response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    response.end(reply.body ?? (reply.status === 202 ? '{"accepted":true}' : `{"error":"status ${reply.status}"}`));
  }

  /** Returns the parsed batch, or a description of what is wrong with the request. */
  private checkRequest(request: IncomingMessage, text: string): MetricBatch | string {
    if (request.method !== 'POST' || request.url !== '/v1/metrics') return `unexpected ${request.method} ${request.url}`;

    const contentType = request.headers['content-type'] ?? '';
    if (!/^application\/json\b/.test(contentType)) return `expected Content-Type application/json, found ${JSON.stringify(contentType)}`;

    try {
      return parseMetricBatch(JSON.parse(text) as unknown, Date.now(), { maxSamples: 1_000_000, maxFutureSkewMs: TEN_YEARS_MS });
    } catch (error) {
      return (error as Error).message;
    }
  }
}
