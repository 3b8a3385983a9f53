import type { Bus } from '../pipeline/bus/bus.js';
import type { Logger } from '../pipeline/log/logger.js';
import type { AlertEvent } from '../pipeline/messages/alert-event.js';

/**
 * Publishes alert transitions to the alerts topic one call at a time, in the
 * order they were made, keeping those that failed for the next call. When
 * the bus does not take them, the processor's handler fails and the bus
 * redelivers its batch. The processor skips the records it handled already,
 * and this queue publishes what it kept.
 */
export class TransitionQueue {
  private pending: AlertEvent[] = [];
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: Bus,
    private readonly topic: string,
    private readonly logger: Logger,
  ) {}

  /** Transitions waiting to be published. */
  get size(): number {
    return this.pending.length;
  }

  publish(events: readonly AlertEvent[]): Promise<void> {
    this.pending.push(...events);
    return this.flush();
  }

  /** Publishes everything queued. Rejects when the bus does not take it, and keeps the queue for the next call. */
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
