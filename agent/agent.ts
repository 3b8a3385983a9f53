import { systemClock, type Clock, type Timer } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import { Collector } from './collector.js';
import type { AgentConfig } from './config.js';
import { LogThrottle } from '../pipeline/log/log-throttle.js';
import { Sender } from './sender.js';
import { createSystemSource, type MetricSource } from './source.js';
import { readFileSync } from 'node:fs';
import { GatewayHttpClient } from './http-client.js';
import { type HostFactsSource, SystemHostFacts } from './host-facts.js';
import { TokenClient } from './token-client.js';

/** Minimum time between two log lines about skipped collections. */
const SKIP_LOG_WINDOW_MS = 60_000;

/** Minimum time between two log lines about failed reads of the host facts. */
const HOST_FACTS_LOG_WINDOW_MS = 60_000;

export interface AgentDependencies {
  logger: Logger;
  /** Schedules collections, retry waits and timeouts; the system clock unless given. */
  clock?: Clock;
  /** Host readings; systeminformation and node:os unless given. */
  source?: MetricSource;
  /** Source of the host facts that every batch carries, SystemHostFacts unless given. */
  hostFacts?: HostFactsSource;
  /** Source of retry jitter in [0, 1); Math.random unless given. */
  random?: () => number;
}

export interface AgentHandle {
  /**
   * Stops collecting, waits up to one interval for a collection in progress,
   * then makes one last flush bounded by `request_timeout`.
   */
  stop(): Promise<void>;
  /**
   * Waits for a collection in progress, then sends the buffer without
   * waiting out a retry delay. Resolves once the buffer is empty or an
   * attempt has failed; it never rejects.
   */
  flushNow(): Promise<void>;
}

/**
 * Starts reporting this host's metrics: collects at once, then every
 * `interval` at a fixed rate, and hands the samples to the sender. A
 * collection still running when the next is due makes that one skip.
 *
 * ```ts
 * const agent = startAgent(config, { logger });
 * process.once('SIGTERM', () => void agent.stop());
 * ```
 */
export function startAgent(config: AgentConfig, dependencies: AgentDependencies): AgentHandle {
  const { logger } = dependencies;
  const clock = dependencies.clock ?? systemClock;
  const collector = new Collector({
    source: dependencies.source ?? createSystemSource(),
    clock,
    logger,
    probeTargets: config.probe_targets,
    probeTimeoutMs: config.probe_timeout,
  });
  const http = new GatewayHttpClient({ caFile: config.tls.ca_file, certFile: config.tls.cert_file, keyFile: config.tls.key_file });
  const tokens = config.client_id
    ? new TokenClient({
        tokenUrl: config.token_url ?? `${config.gateway_url.replace(/\/+$/, '')}/oauth/token`,
        clientId: config.client_id,
        clientSecret: readClientSecret(config),
        agentId: config.agent_id,
        http,
        clock,
        logger,
        requestTimeoutMs: config.request_timeout,
      })
    : undefined;
  if (!tokens) logger.warn({ agentId: config.agent_id }, 'client_id is not set, so batches go without an access token and the fleetpulse gateway rejects them with 401; set client_id and a client secret');
  const sender = new Sender({
    gatewayUrl: config.gateway_url,
    agentId: config.agent_id,
    tags: config.tags,
    bufferMaxSamples: config.buffer_max_samples,
    batchMaxSamples: config.batch_max_samples,
    requestTimeoutMs: config.request_timeout,
    retryInitialMs: config.retry_initial,
    retryMaxMs: config.retry_max,
    logger,
    clock,
    random: dependencies.random,
    http,
    tokens,
  });
  const skipLog = new LogThrottle(clock, SKIP_LOG_WINDOW_MS);
  const hostFacts = dependencies.hostFacts ?? new SystemHostFacts(clock);
  const hostFactsLog = new LogThrottle(clock, HOST_FACTS_LOG_WINDOW_MS);

  let timer: Timer | undefined;
  let collecting: Promise<void> | undefined;
  let nextDueAt = clock.now();
  let stopping: Promise<void> | undefined;

  // Without host facts the batches still go out, with the facts read before, if any.
  const readHostFacts = async (): Promise<void> => {
    try {
      sender.setHostFacts(await hostFacts.read());
    } catch (error) {
      const failures = hostFactsLog.record();
      if (failures !== undefined) logger.warn({ err: error, agentId: config.agent_id, failures }, 'reading the host facts failed; batches carry the facts read before, if any');
    }
  };

  const collectOnce = async (): Promise<void> => {
    try {
      const [samples] = await Promise.all([collector.collect(), readHostFacts()]);
      sender.enqueue(samples);
    } catch (error) {
      logger.error({ err: error }, 'collection failed');
    }
  };

  const tick = (): void => {
    if (collecting) {
      const skipped = skipLog.record();
      if (skipped !== undefined) {
        logger.warn({ skipped, intervalMs: config.interval }, 'previous collection still running; skipping this one');
      }
    } else {
      const current = collectOnce().finally(() => {
        if (collecting === current) collecting = undefined;
      });
      collecting = current;
    }

    // Fixed rate: the next collection is due one interval after this one was
    // due, unless the process fell behind (a suspended VM), which skips ahead.
    const now = clock.now();
    nextDueAt += config.interval;
    if (nextDueAt <= now) nextDueAt = now + config.interval;
    timer = clock.setTimeout(tick, nextDueAt - now);
  };

  logger.info(
    {
      agentId: config.agent_id,
      gatewayUrl: config.gateway_url,
      intervalMs: config.interval,
      tags: config.tags,
      probeTargets: config.probe_targets,
      clientId: config.client_id,
      caFile: config.tls.ca_file,
      clientCertificate: config.tls.cert_file,
    },
    'agent started',
  );
  tick();

  const stop = async (): Promise<void> => {
    timer?.cancel();
    if (collecting) await waitAtMost(clock, collecting, config.interval);
    await sender.stop(config.request_timeout);
    http.close();
    logger.info({ agentId: config.agent_id }, 'agent stopped');
  };

  return {
    stop: () => (stopping ??= stop()),

    flushNow: async () => {
      if (collecting) await collecting;
      await sender.flushNow();
    },
  };
}

/** Returns client_secret, which FLEETPULSE_AGENT_CLIENT_SECRET also sets, or else reads client_secret_file. */
function readClientSecret(config: AgentConfig): string {
  if (config.client_secret !== undefined) return config.client_secret;
  const file = config.client_secret_file!;
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new Error(`failed to read client_secret_file ${file}: ${(error as Error).message}; check the path and its permissions`);
  }
  if (secret === '') throw new Error(`client_secret_file ${file} is empty; write the client secret from \`fleetpulse credentials create\` into it`);
  return secret;
}

/** Resolves when `work` settles or after `timeoutMs`, whichever comes first. */
async function waitAtMost(clock: Clock, work: Promise<void>, timeoutMs: number): Promise<void> {
  const timeout = new AbortController();
  await Promise.race([work, clock.sleep(timeoutMs, timeout.signal).catch(() => undefined)]);
  timeout.abort();
}
