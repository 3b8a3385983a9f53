import { systemClock, type Clock, type Timer } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { HostFacts, MetricBatch, Sample } from '../pipeline/messages/metric-batch.js';
import { LogThrottle } from '../pipeline/log/log-throttle.js';
import { GatewayHttpClient } from './http-client.js';
import { backoffDelayMs, parseRetryAfter } from './retry.js';
import type { AccessTokenSource } from './token-client.js';
import { RingBuffer } from './ring-buffer.js';

/** Minimum time between two log lines about overflow or about failed attempts. */
const LOG_WINDOW_MS = 60_000;

/** The part of a gateway's error body that is kept for the log. */
const MAX_ERROR_BODY_BYTES = 2_048;

export interface SenderOptions {
  /** Base URL of the gateway; batches go to `${gatewayUrl}/v1/metrics`. */
  gatewayUrl: string;
  agentId: string;
  /** Sent with every batch. */
  tags: Record<string, string>;
  /** Samples waiting to be sent at most, besides the batches in flight. */
  bufferMaxSamples: number;
  batchMaxSamples: number;
  requestTimeoutMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  logger: Logger;
  /** Times request timeouts and retry waits; the system clock unless given. */
  clock?: Clock;
  /** Source of jitter in [0, 1); Math.random unless given. */
  random?: () => number;
  /** HTTP client for the gateway. Without it, the sender uses the system's CAs and no client certificate. */
  http?: GatewayHttpClient;
  /** Source of access tokens for the Authorization header. Without it, requests carry no Authorization header. */
  tokens?: AccessTokenSource;
}

/** State of the delivery loop. */
export type SenderState = 'idle' | 'sending' | 'waiting' | 'stopped';

export interface SenderStats {
  state: SenderState;
  /** Samples not yet accepted: waiting in the buffer plus those in flight. */
  bufferedSamples: number;
  sentSamples: number;
  sentBatches: number;
  /** Samples evicted because the buffer was full. */
  droppedSamples: number;
  /** Samples in batches the gateway rejected with a 4xx other than 408, 413 and 429. */
  rejectedSamples: number;
  rejectedBatches: number;
  /** Attempts that ended in a network error, a timeout or a retryable status. */
  failedAttempts: number;
  /** Failed attempts since the gateway last responded with 202 or a rejection. */
  consecutiveFailures: number;
  /** Clock time of the next attempt while `state` is `waiting`. */
  nextAttemptAt: number | undefined;
  /** Samples per batch at most; lowered after a 413. */
  batchLimit: number;
}

/** The gateway's response to one request, classified for the delivery loop. */
type Outcome =
  | { kind: 'accepted' }
  | { kind: 'too-large' }
  | { kind: 'rejected'; status: number; body: string }
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number };

/**
 * Buffers samples and delivers them to the gateway's POST /v1/metrics in
 * order, one request at a time.
 *
 * - 202: the batch is on the bus; it leaves the buffer.
 * - 408, 429, 5xx, network errors and timeouts: the batch stays and is retried
 *   after a backoff with full jitter, or after Retry-After (capped at
 *   `retryMaxMs`) when the gateway sends one.
 * - 413: the batch is split in half and the halves are sent in order. Later
 *   batches are cut at most at the size of the larger half.
 * - Any other 4xx: the gateway will never accept the batch, so it is logged
 *   with the gateway's error body and dropped.
 * - Any other status (a redirect, a 2xx other than 202): nothing was
 *   acknowledged, so the batch is retried and the status logged.
 *
 * A request that timed out may still have reached the bus, so delivery is
 * at least once.
 *
 * ```ts
 * const sender = new Sender({ gatewayUrl, agentId, tags, bufferMaxSamples: 100_000, batchMaxSamples: 1_000,
 *   requestTimeoutMs: 10_000, retryInitialMs: 1_000, retryMaxMs: 60_000, logger });
 * sender.enqueue(samples);
 * await sender.stop(5_000);
 * ```
 */
export class Sender {
  private readonly url: string;
  private readonly http: GatewayHttpClient;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly queue: RingBuffer<Sample>;
  /** Batches cut from the queue and still without a response, oldest first. The first is the one in flight. */
  private readonly pending: Sample[][] = [];
  private readonly overflowLog: LogThrottle;
  private readonly retryLog: LogThrottle;
  /** Reason of the last retry line in this outage, so that a different reason is logged without waiting for the throttle. */
  private lastRetryReason: string | undefined;
  private flushWaiters: Array<(drained: boolean) => void> = [];

  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private state: SenderState = 'idle';
  private batchLimit: number;
  private nextAttemptAt: number | undefined;
  private wakeController: AbortController | undefined;
  private requestController: AbortController | undefined;
  private hostFacts: HostFacts | undefined;

  private stopping = false;
  private stopDeadline = Number.POSITIVE_INFINITY;
  private stopped: Promise<void> | undefined;

  private sentSamples = 0;
  private sentBatches = 0;
  private droppedSamples = 0;
  private rejectedSamples = 0;
  private rejectedBatches = 0;
  private failedAttempts = 0;
  private consecutiveFailures = 0;

  constructor(private readonly options: SenderOptions) {
    this.url = `${options.gatewayUrl.replace(/\/+$/, '')}/v1/metrics`;
    this.http = options.http ?? new GatewayHttpClient({}, MAX_ERROR_BODY_BYTES);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger;
    this.queue = new RingBuffer<Sample>(options.bufferMaxSamples);
    this.batchLimit = options.batchMaxSamples;
    this.overflowLog = new LogThrottle(this.clock, LOG_WINDOW_MS);
    this.retryLog = new LogThrottle(this.clock, LOG_WINDOW_MS);
  }

  /**
   * Adds samples to the buffer and starts delivery unless it is running.
   * When the buffer is full, the oldest waiting samples are evicted.
   */
  enqueue(samples: readonly Sample[]): void {
    if (this.stopping) {
      this.logger.warn({ samples: samples.length }, 'sender is stopping; samples not buffered');
      return;
    }

    let evicted = 0;
    for (const sample of samples) {
      if (this.queue.push(sample)) evicted++;
    }
    if (evicted > 0) this.recordOverflow(evicted);
    this.kick();
  }

  /**
   * Sets the host facts that every later request carries, including
   * requests of samples buffered before the call.
   */
  setHostFacts(facts: HostFacts): void {
    this.hostFacts = facts;
  }

  /**
   * Sends now, skipping a retry wait in progress. Resolves true once the
   * buffer is empty, or false when an attempt fails first.
   */
  flushNow(): Promise<boolean> {
    if (!this.running && this.bufferedSamples() === 0) return Promise.resolve(true);
    if (this.stopped) return this.stopped.then(() => this.bufferedSamples() === 0);

    const drained = new Promise<boolean>((resolve) => this.flushWaiters.push(resolve));
    this.wakeController?.abort();
    this.kick();
    return drained;
  }

  /**
   * Stops delivery after one last flush: batches are sent without retry
   * waits until the buffer is empty, an attempt fails, or `timeoutMs` (by
   * default the request timeout) has passed. Samples still unsent are
   * counted in the log and lost.
   */
  stop(timeoutMs = this.options.requestTimeoutMs): Promise<void> {
    this.stopped ??= this.finish(timeoutMs);
    return this.stopped;
  }

  stats(): SenderStats {
    return {
      state: this.state,
      bufferedSamples: this.bufferedSamples(),
      sentSamples: this.sentSamples,
      sentBatches: this.sentBatches,
      droppedSamples: this.droppedSamples,
      rejectedSamples: this.rejectedSamples,
      rejectedBatches: this.rejectedBatches,
      failedAttempts: this.failedAttempts,
      consecutiveFailures: this.consecutiveFailures,
      nextAttemptAt: this.nextAttemptAt,
      batchLimit: this.batchLimit,
    };
  }

  private async finish(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.stopDeadline = this.clock.now() + timeoutMs;
    const deadline: Timer = this.clock.setTimeout(() => {
      this.requestController?.abort(new Error(`final flush ran out of time after ${timeoutMs} ms`));
    }, timeoutMs);

    this.wakeController?.abort();
    this.kick();
    await this.loopDone;
    deadline.cancel();

    this.state = 'stopped';
    const unsent = this.bufferedSamples();
    const dropped = this.overflowLog.drain();
    if (dropped > 0) this.logger.warn({ dropped, droppedTotal: this.droppedSamples }, 'buffer full; dropped the oldest samples');
    const summary = {
      sentSamples: this.sentSamples,
      droppedSamples: this.droppedSamples,
      rejectedSamples: this.rejectedSamples,
      unsentSamples: unsent,
    };
    if (unsent > 0) this.logger.warn(summary, 'sender stopped with samples not delivered; they are lost');
    else this.logger.info(summary, 'sender stopped');
    this.settleFlushWaiters(unsent === 0);
    if (!this.options.http) this.http.close();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.run();
  }

  /** Sends batches until the buffer is empty, with one request in flight at a time, so batches arrive in order. */
  private async run(): Promise<void> {
    try {
      for (;;) {
        const batch = this.nextBatch();
        if (!batch) break;

        this.state = 'sending';
        const outcome = await this.post(batch, this.requestTimeout());
        if (outcome.kind !== 'retry') {
          this.handleResponse(batch, outcome);
          continue;
        }

        this.failedAttempts++;
        this.consecutiveFailures++;
        this.settleFlushWaiters(false);
        if (this.stopping) break;
        await this.waitBeforeRetry(outcome);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'delivery loop failed; it restarts with the next enqueue');
    }

    // Set synchronously with the last check of nextBatch(), so an enqueue
    // from now on starts a new loop instead of leaving samples stranded.
    this.running = false;
    if (!this.stopping) this.state = 'idle';
    this.settleFlushWaiters(this.bufferedSamples() === 0);
  }

  /** Returns the batch to send next, or undefined when there is nothing to send or the stop deadline has passed. */
  private nextBatch(): Sample[] | undefined {
    if (this.stopping && this.clock.now() >= this.stopDeadline) return undefined;
    if (this.pending.length === 0 && this.queue.length > 0) {
      this.pending.push(this.queue.shift(this.batchLimit));
    }
    return this.pending[0];
  }

  private requestTimeout(): number {
    if (!this.stopping) return this.options.requestTimeoutMs;
    return Math.max(1, Math.min(this.options.requestTimeoutMs, this.stopDeadline - this.clock.now()));
  }

  private handleResponse(batch: Sample[], outcome: Exclude<Outcome, { kind: 'retry' }>): void {
    switch (outcome.kind) {
      case 'accepted':
        this.pending.shift();
        this.sentSamples += batch.length;
        this.sentBatches++;
        if (this.consecutiveFailures > 0) {
          this.logger.info({ failedAttempts: this.consecutiveFailures, bufferedSamples: this.bufferedSamples() }, 'gateway accepted a batch again');
        }
        this.consecutiveFailures = 0;
        this.lastRetryReason = undefined;
        return;

      case 'too-large': {
        if (batch.length === 1) {
          this.pending.shift();
          this.reject(batch, 413, 'a single sample is larger than the gateway accepts');
          return;
        }
        const half = Math.ceil(batch.length / 2);
        this.pending.splice(0, 1, batch.slice(0, half), batch.slice(half));
        if (half < this.batchLimit) {
          this.batchLimit = half;
          this.logger.warn({ samples: batch.length, batchLimit: half }, 'gateway responded 413 Content Too Large; splitting the batch and lowering the batch size');
        }
        return;
      }

      case 'rejected':
        this.pending.shift();
        this.consecutiveFailures = 0;
        this.lastRetryReason = undefined;
        this.reject(batch, outcome.status, outcome.body);
        return;
    }
  }

  private reject(batch: Sample[], status: number, body: string): void {
    this.rejectedSamples += batch.length;
    this.rejectedBatches++;
    this.logger.error(
      { status, body, samples: batch.length, rejectedSamples: this.rejectedSamples },
      `gateway rejected the batch with status ${status}; dropping it`,
    );
  }

  private async waitBeforeRetry(outcome: Extract<Outcome, { kind: 'retry' }>): Promise<void> {
    const { retryInitialMs, retryMaxMs } = this.options;
    const delayMs =
      outcome.retryAfterMs !== undefined
        ? Math.min(outcome.retryAfterMs, retryMaxMs)
        : backoffDelayMs(this.consecutiveFailures - 1, retryInitialMs, retryMaxMs, this.random);

    // A new reason, such as revoked credentials after a network outage, is logged at once.
    const failures = outcome.reason === this.lastRetryReason ? this.retryLog.record() : this.retryLog.recordNow();
    if (failures !== undefined) {
      this.lastRetryReason = outcome.reason;
      this.logger.warn(
        {
          reason: outcome.reason,
          status: outcome.status,
          attempt: this.consecutiveFailures,
          failuresSinceLastLine: failures,
          retryInMs: delayMs,
          bufferedSamples: this.bufferedSamples(),
        },
        'sending to the gateway failed; retrying',
      );
    }

    this.state = 'waiting';
    this.nextAttemptAt = this.clock.now() + delayMs;
    const wake = new AbortController();
    this.wakeController = wake;
    try {
      await this.clock.sleep(delayMs, wake.signal);
    } catch {
      // flushNow() or stop() cut the wait short.
    } finally {
      this.wakeController = undefined;
      this.nextAttemptAt = undefined;
    }
  }

  private async post(batch: Sample[], timeoutMs: number): Promise<Outcome> {
    const message: MetricBatch = { version: 1, agentId: this.options.agentId, tags: this.options.tags, ...(this.hostFacts && { host: this.hostFacts }), samples: batch };
    const controller = new AbortController();
    this.requestController = controller;
    const timer = this.clock.setTimeout(() => controller.abort(new Error(`request timed out after ${timeoutMs} ms`)), timeoutMs);

    let token: string | undefined;
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (this.options.tokens) {
        token = await this.options.tokens.token();
        headers.authorization = `Bearer ${token}`;
      }
      const response = await this.http.request({ method: 'POST', url: this.url, headers, body: JSON.stringify(message), signal: controller.signal });
      const body = response.body.slice(0, MAX_ERROR_BODY_BYTES);
      if (response.status === 401 && token !== undefined) {
        this.options.tokens!.invalidate(token);
        const challenge = response.headers['www-authenticate'];
        return { kind: 'retry', reason: `gateway rejected the access token (${challenge ?? body}); requesting a new one`, status: 401 };
      }
      const retryAfter = response.headers['retry-after'];
      return classify(response.status, body, parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : null, this.clock.now()));
    } catch (error) {
      const reason = controller.signal.aborted ? describeError(controller.signal.reason) : describeError(error);
      return { kind: 'retry', reason };
    } finally {
      timer.cancel();
      this.requestController = undefined;
    }
  }

  private recordOverflow(evicted: number): void {
    this.droppedSamples += evicted;
    const dropped = this.overflowLog.record(evicted);
    if (dropped !== undefined) {
      this.logger.warn(
        { dropped, droppedTotal: this.droppedSamples, bufferMaxSamples: this.options.bufferMaxSamples },
        'buffer full; dropped the oldest samples',
      );
    }
  }

  private bufferedSamples(): number {
    return this.queue.length + this.pending.reduce((total, batch) => total + batch.length, 0);
  }

  private settleFlushWaiters(drained: boolean): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const resolve of waiters) resolve(drained);
  }
}

function classify(status: number, body: string, retryAfterMs: number | undefined): Outcome {
  if (status === 202) return { kind: 'accepted' };
  if (status === 413) return { kind: 'too-large' };
  if (status === 408 || status === 429 || status >= 500) {
    return { kind: 'retry', reason: `gateway responded ${status}`, status, retryAfterMs };
  }
  if (status >= 400) return { kind: 'rejected', status, body };
  return { kind: 'retry', reason: `unexpected status ${status}; expected 202, check gateway_url`, status };
}

/** Names the cause of a failed request, with the cause's code such as `ECONNREFUSED` when there is one. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: string }).code;
    return code ? `${error.message}: ${code} ${cause.message}` : `${error.message}: ${cause.message}`;
  }
  return error.message;
}
