import type { Bus, DeliveredRecord, Subscription } from '../pipeline/bus/bus.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { AlertEvent } from '../pipeline/messages/alert-event.js';
import type { IngestedBatch } from '../pipeline/messages/metric-batch.js';
import { METRICS, PayloadError } from '../pipeline/messages/topics.js';

/** Turns batches into alert transitions; the threshold engine now, the rule engine later. */
export interface AlertEvaluator {
  observe(batch: IngestedBatch): AlertEvent[];
}

export interface ProcessorDeps {
  bus: Bus;
  metricsTopic: string;
  alertsTopic: string;
  group: string;
  evaluator: AlertEvaluator;
  logger: Logger;
}

/**
 * Consumes the metrics topic and publishes each alert transition to the
 * alerts topic keyed by fingerprint. A batch's offsets commit only after its
 * transitions are on the bus, so a crash replays rather than loses them.
 */
export async function startProcessor(deps: ProcessorDeps): Promise<Subscription> {
  const { bus, evaluator, logger } = deps;

  return bus.subscribe({
    topic: deps.metricsTopic,
    group: deps.group,
    handle: async (records: readonly DeliveredRecord[]) => {
      const events: AlertEvent[] = [];
      for (const record of records) {
        const batch = decode(record, logger);
        if (batch) events.push(...evaluator.observe(batch));
      }
      if (events.length === 0) return;

      await bus.publish(
        deps.alertsTopic,
        events.map((event) => ({ key: event.fingerprint, value: JSON.stringify(event) })),
      );
      for (const event of events) {
        logger.info({ fingerprint: event.fingerprint, rule: event.rule, agentId: event.agentId, state: event.state, value: event.value }, 'alert transition');
      }
    },
  });
}

/** Decodes one record; a record no version of fleetpulse can read is logged and skipped, never retried forever. */
function decode(record: DeliveredRecord, logger: Logger): IngestedBatch | undefined {
  try {
    return METRICS.decode(record.value);
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    logger.error({ err: error, topic: record.topic, partition: record.partition, offset: record.offset }, 'skipping unreadable record');
    return undefined;
  }
}
