import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { every } from 'hono/combine';
import type { Bus } from '../../pipeline/bus/bus.js';
import { BusUnavailableError } from '../../pipeline/bus/bus.js';
import type { Clock } from '../../pipeline/clock/index.js';
import { LogThrottle } from '../../pipeline/log/log-throttle.js';
import type { Logger } from '../../pipeline/log/logger.js';
import { type IngestedBatch, parseMetricBatch } from '../../pipeline/messages/metric-batch.js';
import { ValidationError } from '../../pipeline/messages/validation.js';
import type { AgentRegistry } from '../../pipeline/state/agent-registry.js';
import type { GatewayConfig } from '../config.js';
import { clientAddress, type GatewayEnv } from '../connection.js';
import { errorResponse } from '../problem.js';
import { Tagger } from '../tagging/tagger.js';

export interface MetricsRouteDeps {
  bus: Bus;
  /** Full name of the metrics topic, prefix included. */
  topic: string;
  registry: AgentRegistry;
  config: GatewayConfig;
  clock: Clock;
  logger: Logger;
  /**
   * Middleware that runs before the body is read: rate limits, client
   * certificate and access token. The last of them must set `principal`.
   */
  guards: MiddlewareHandler<GatewayEnv>[];
}

const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/**
 * POST /v1/metrics: validates a v1 batch and puts it on the metrics topic.
 *
 * Responds 202 only after the bus has stored the batch durably. When the bus
 * cannot accept it the response is 503 with Retry-After, so the agent keeps
 * the batch and retries. Nothing is acknowledged that could still be lost.
 * The batch's agentId must be the access token's subject, else 403.
 * The published batch carries the agent's final tags (see tagging/tagger.ts):
 * its own tags, its host facts, the matching tagging rules' tags and the
 * token's tags and group.
 *
 * ```sh
 * curl --cacert data/tls/ca.crt -X POST https://127.0.0.1:8443/v1/metrics -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
 *   -d '{"version":1,"agentId":"web-1","tags":{},"samples":[{"metric":"cpu_usage","value":12.5,"ts":1767225600000}]}'
 * ```
 */
export function metricsRoute(deps: MetricsRouteDeps): Hono<GatewayEnv> {
  const { bus, topic, registry, config, clock, logger } = deps;
  const limits = { maxSamples: config.max_samples_per_batch, maxFutureSkewMs: config.max_clock_skew };
  // Under sustained backpressure every request fails the same way: log one line per window with a count.
  const unavailableLog = new LogThrottle(clock, 10_000);
  const registryLog = new LogThrottle(clock, 10_000);
  const tagger = new Tagger(config.tagging, { logger, clock });
  logger.info({ taggingRules: config.tagging.rules.length }, 'tagging rules loaded');
  const app = new Hono<GatewayEnv>();

  app.post(
    '/v1/metrics',
    every(...deps.guards),
    (c, next) => {
      const contentType = c.req.header('content-type') ?? '';
      if (!JSON_CONTENT_TYPE.test(contentType)) {
        return Promise.resolve(
          errorResponse(
            c,
            415,
            'unsupported_media_type',
            `expected Content-Type: application/json, found ${contentType ? JSON.stringify(contentType) : 'none'}`,
          ),
        );
      }
      return next();
    },
    bodyLimit({
      maxSize: config.max_body_size,
      onError: (c) =>
        errorResponse(c, 413, 'payload_too_large', `request body exceeds the limit of ${config.max_body_size} bytes; send smaller batches`),
    }),
    async (c) => {
      const text = await c.req.text();

      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        return errorResponse(c, 400, 'malformed_json', `request body is not valid JSON: ${(error as Error).message}`);
      }

      const receivedAt = clock.now();
      let ingested: IngestedBatch;
      try {
        const batch = parseMetricBatch(parsed, receivedAt, limits);
        ingested = { version: 1, agentId: batch.agentId, tags: batch.tags, ...(batch.host && { host: batch.host }), samples: batch.samples, receivedAt };
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return errorResponse(c, 400, 'invalid_batch', error.message, error.issues);
      }

      const principal = c.get('principal');
      if (ingested.agentId !== principal.agentId) {
        logger.warn({ agentId: ingested.agentId, tokenAgentId: principal.agentId, clientId: principal.clientId, tokenId: principal.tokenId }, 'batch agentId differs from the token subject; responding 403');
        return errorResponse(
          c,
          403,
          'agent_mismatch',
          `the batch is for agent ${JSON.stringify(ingested.agentId)} but the access token is for agent ${JSON.stringify(principal.agentId)}; an agent may send only its own metrics`,
        );
      }

      // Tags are final before the batch goes on the bus, so that every consumer and store receives the same ones.
      ingested.tags = tagger.tagsFor({ agentId: ingested.agentId, agentTags: ingested.tags, host: ingested.host, ip: clientAddress(c), principal });

      try {
        await bus.publish(topic, [{ key: ingested.agentId, value: JSON.stringify(ingested) }]);
      } catch (error) {
        const retryAfter = error instanceof BusUnavailableError ? error.retryAfterSeconds : 5;
        const rejected = unavailableLog.record();
        if (rejected !== undefined) {
          logger.warn({ err: error, agentId: ingested.agentId, rejectedBatches: rejected }, 'bus did not take batches; answering 503');
        }
        c.header('Retry-After', String(retryAfter));
        return errorResponse(c, 503, 'bus_unavailable', 'the batch was not accepted because the bus cannot take it now; retry after the Retry-After delay');
      }

      // The batch is durable now. The registry only feeds GET /v1/agents, so
      // its failure must not turn an accepted batch into an error.
      registry.record(ingested).catch((error: unknown) => {
        const failures = registryLog.record();
        if (failures !== undefined) logger.warn({ err: error, agentId: ingested.agentId, failures }, 'agent registry update failed');
      });

      return c.json({ accepted: ingested.samples.length }, 202);
    },
  );

  return app;
}
