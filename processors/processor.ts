import type { Bus, DeliveredRecord, Subscription } from '../pipeline/bus/bus.js';
import type { Clock, Timer } from '../pipeline/clock/index.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { AlertEvent } from '../pipeline/messages/alert-event.js';
import type { IngestedBatch } from '../pipeline/messages/metric-batch.js';
import { METRICS, PayloadError } from '../pipeline/messages/topics.js';
import { formatDiagnostics } from '../grammar/diagnostics.js';
import type { ProcessorConfig } from './config.js';
import { RuleEngine } from './rules/engine.js';
import { loadRuleSet, RuleFileError } from './rules/rule-set.js';

export interface ProcessorDeps {
  bus: Bus;
  metricsTopic: string;
  alertsTopic: string;
  group: string;
  config: ProcessorConfig;
  /** Receiver names that rules may notify. */
  receivers: readonly string[];
  clock: Clock;
  logger: Logger;
}

export interface RunningProcessor {
  /** Rereads the rule files and swaps the new set in at once; keeps the old set when a file has errors. Returns whether it swapped. */
  reloadRules(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Starts the processor role: consumes the metrics topic, evaluates the rule
 * files, and publishes alert transitions to the alerts topic keyed by
 * fingerprint.
 *
 * Transitions are published in the order the engine made them, through one
 * queue. A batch's offsets commit only once its transitions are on the bus.
 * When publishing fails the transitions stay queued and the batch is
 * redelivered; the engine then ignores the repeated samples and the queue
 * publishes what it kept, so no transition is lost or made twice.
 */
export async function startProcessor(deps: ProcessorDeps): Promise<RunningProcessor> {
  const { bus, clock, logger, config } = deps;

  const initial = loadRuleSet({ files: config.rule_files, receivers: deps.receivers, maxWindowMs: config.max_window });
  if (!initial.ok) throw new RuleFileError(initial.diagnostics);
  if (initial.warnings.length > 0) logger.warn({ diagnostics: formatDiagnostics(initial.warnings) }, 'rule files have warnings');
  const engine = new RuleEngine(initial.rules, { allowedLatenessMs: config.allowed_lateness, clock });
  logger.info({ rules: initial.rules.length, files: config.rule_files }, 'rules loaded');

  const queue = new TransitionQueue(bus, deps.alertsTopic, logger);

  const subscription: Subscription = await bus.subscribe({
    topic: deps.metricsTopic,
    group: deps.group,
    handle: async (records: readonly DeliveredRecord[]) => {
      await queue.flush();
      const events: AlertEvent[] = [];
      for (const record of records) {
        const batch = decode(record, logger);
        if (batch) events.push(...engine.observe(batch));
      }
      await queue.publish(events);
    },
  });

  let timer: Timer | undefined;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    queue.publish(engine.tick()).catch((error: unknown) => logger.warn({ err: error }, 'publishing absent() transitions failed; they stay queued'));
    timer = clock.setTimeout(tick, config.tick_interval);
  };
  timer = clock.setTimeout(tick, config.tick_interval);

  return {
    reloadRules: async () => {
      const next = loadRuleSet({ files: config.rule_files, receivers: deps.receivers, maxWindowMs: config.max_window });
      if (!next.ok) {
        logger.error({ diagnostics: formatDiagnostics(next.diagnostics) }, 'rule files have errors; the previous rules keep running');
        return false;
      }
      const retired = engine.setRules(next.rules);
      logger.info({ rules: next.rules.length, resolvedByRemoval: retired.length }, 'rules reloaded');
      await queue.publish(retired);
      return true;
    },
    close: async () => {
      stopped = true;
      timer?.cancel();
      await subscription.close();
      await queue.flush().catch((error: unknown) => logger.error({ err: error, pending: queue.size }, 'transitions not published at shutdown'));
    },
  };
}

/** Publishes alert transitions one call at a time, keeping those that failed for the next call. */
class TransitionQueue {
  private pending: AlertEvent[] = [];
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: Bus,
    private readonly topic: string,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.pending.length;
  }

  publish(events: readonly AlertEvent[]): Promise<void> {
    this.pending.push(...events);
    return this.flush();
  }

  /** Publishes everything queued; rejects, keeping the queue, when the bus does not take it. */
  flush(): Promise<void> {
    const run = this.tail.catch(() => undefined).then(() => this.send());
    this.tail = run;
    return run;
  }

  private async send(): Promise<void> {
    if (this.pending.length === 0) return;
    const events = this.pending.slice();
    await this.bus.publish(
      this.topic,
      events.map((event) => ({ key: event.fingerprint, value: JSON.stringify(event) })),
    );
    this.pending.splice(0, events.length);
    for (const event of events) {
      this.logger.info({ fingerprint: event.fingerprint, sequence: event.sequence, rule: event.rule, agentId: event.agentId, state: event.state, value: event.value }, 'alert transition');
    }
  }
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
