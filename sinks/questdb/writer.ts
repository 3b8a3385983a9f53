import http from 'node:http';
import https from 'node:https';
import { createBuffer, createTransport, type SenderBuffer, SenderOptions, type SenderTransport } from '@questdb/nodejs-client';
import { type Clock, systemClock } from '../../pipeline/clock/index.js';
import type { Logger } from '../../pipeline/log/logger.js';
import { type BackoffPolicy, fullJitterDelayMs } from '../retry.js';

export interface IlpWriterOptions {
  /** Base URL of QuestDB's HTTP server, such as http://127.0.0.1:9000. */
  url: string;
  /** Time one request may take, in milliseconds. */
  requestTimeoutMs: number;
  /** Attempts per request, the first included. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  logger: Logger;
  clock?: Clock;
  /** Source of jitter in [0, 1); Math.random unless given. */
  random?: () => number;
}

/** Raised when QuestDB did not acknowledge an ILP request. */
export class QuestDBWriteError extends Error {
  constructor(
    message: string,
    /** Whether a later attempt could succeed: false for a request QuestDB rejected as invalid (HTTP 4xx). */
    readonly retryable: boolean,
    readonly attempts: number,
    /** HTTP status of the last response, when there was one. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'QuestDBWriteError';
  }
}

/** Error codes of connections that failed or broke; a later attempt may succeed. */
const RETRYABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);

/**
 * Sends ILP requests to QuestDB's /write endpoint, one HTTP request per
 * `send`, and retries failed requests with exponential backoff and full jitter.
 *
 * The request goes through the client's own HTTP transport. The writer sets
 * the client's `retry_timeout` to 0 and `stdlib_http` on, so that each attempt
 * is one request bounded by the request timeout and this class alone decides
 * about retries. With the default undici transport, @questdb/nodejs-client
 * 4.2.0 kept retrying a refused connection after its retry_timeout had passed
 * (still pending after 30 s with retry_timeout=1500), which would hold a write
 * forever while QuestDB is down.
 *
 * ```ts
 * const writer = new IlpWriter({ url: 'http://127.0.0.1:9000', requestTimeoutMs: 10_000, maxAttempts: 5, backoff, logger });
 * await writer.open();
 * const buffer = writer.newBuffer();
 * buffer.table('metrics').symbol('agent', 'web-1').floatColumn('value', 1).at(Date.now(), 'ms');
 * await writer.send(buffer.toBufferNew()!, 'metrics');
 * ```
 */
export class IlpWriter {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly agent: http.Agent;
  private readonly closing = new AbortController();
  private senderOptions?: SenderOptions;
  private transport?: SenderTransport;

  constructor(private readonly options: IlpWriterOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    const secure = new URL(options.url).protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 8 }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  /**
   * Reads the ILP protocol versions the server supports from its /settings
   * endpoint and prepares the transport. Call once before `newBuffer` and `send`.
   */
  async open(): Promise<void> {
    if (this.senderOptions) return;
    const url = new URL(this.options.url);
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    const port = url.port || (protocol === 'https' ? '443' : '80');
    const configuration = [
      `${protocol}::addr=${url.hostname}:${port}`,
      'stdlib_http=on',
      'retry_timeout=0',
      `request_timeout=${this.options.requestTimeoutMs}`,
      'auto_flush=off',
      'protocol_version=auto',
    ].join(';');

    const log = this.options.logger;
    this.senderOptions = await SenderOptions.fromConfig(configuration, {
      agent: this.agent,
      log: (level, message) => log[level]({ component: 'questdb-client' }, String(message)),
    });
    this.transport = createTransport(this.senderOptions);
  }

  /** A fresh ILP buffer for the negotiated protocol version. */
  newBuffer(): SenderBuffer {
    if (!this.senderOptions) throw new Error('IlpWriter.open() must complete before newBuffer()');
    return createBuffer(this.senderOptions);
  }

  /**
   * Posts `data` (complete ILP rows) and resolves once QuestDB responded with 204,
   * meaning the rows are committed to the tables' write-ahead logs. QuestDB
   * applies WAL transactions to the tables asynchronously, so a query right
   * afterwards may not see them yet.
   *
   * Retries network errors, timeouts and 5xx responses up to `maxAttempts`
   * attempts in all; throws QuestDBWriteError when attempts run out or QuestDB
   * rejects the rows (4xx), which no retry can fix.
   */
  async send(data: Buffer, table: string): Promise<void> {
    const transport = this.transport;
    if (!transport) throw new Error('IlpWriter.open() must complete before send()');

    for (let attempt = 1; ; attempt++) {
      try {
        await transport.send(data);
        return;
      } catch (error) {
        const failure = classifyFailure(error);
        const lastAttempt = attempt >= this.options.maxAttempts || this.closing.signal.aborted;
        if (!failure.retryable || lastAttempt) {
          const advice = failure.retryable
            ? `; gave up after ${attempt} attempts`
            : '; QuestDB rejected the rows, and its server log has the reason';
          throw new QuestDBWriteError(`ILP write of ${data.length} bytes to ${table} failed: ${failure.message}${advice}`, failure.retryable, attempt, failure.status, { cause: error });
        }

        const delayMs = fullJitterDelayMs(this.options.backoff, attempt, this.random);
        this.options.logger.warn({ table, attempt, maxAttempts: this.options.maxAttempts, delayMs, error: failure.message }, 'QuestDB write failed; retrying');
        try {
          await this.clock.sleep(delayMs, this.closing.signal);
        } catch {
          throw new QuestDBWriteError(`ILP write to ${table} abandoned because the store is closing: ${failure.message}`, true, attempt, failure.status, { cause: error });
        }
      }
    }
  }

  /** Stops pending retries and closes idle connections. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.transport?.close();
    this.agent.destroy();
  }
}

interface Failure {
  retryable: boolean;
  status?: number;
  message: string;
}

/**
 * Reads the outcome from the errors of the client's stdlib transport:
 * `HTTP request failed, statusCode=NNN, ...` for a response other than 204,
 * `HTTP request timeout, ...` for a timeout, and Node's socket errors (with a
 * `code`) for connection failures.
 */
function classifyFailure(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  const statusMatch = /statusCode=(\d+)/.exec(message);
  if (statusMatch) {
    const status = Number(statusMatch[1]);
    return { retryable: status >= 500 || status === 429 || status === 408, status, message: `HTTP ${status}` };
  }
  if (/timeout/i.test(message)) return { retryable: true, message };

  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && RETRYABLE_NETWORK_CODES.has(code)) return { retryable: true, message };

  // An unknown failure may be transient; the attempt limit bounds the cost of guessing wrong.
  return { retryable: true, message };
}
