import type { AlertEvent } from './alert-event.js';
import type { DeadLetter } from './dead-letter.js';
import type { Decision } from './decision.js';
import type { IngestedBatch } from './metric-batch.js';
import type { Notification } from './notification.js';
import { isPlainObject } from './validation.js';

/** A topic's logical name and the type of the JSON payload it carries. */
export interface TopicSpec<T> {
  /** Name without the configured prefix. */
  readonly name: string;
  readonly decode: (text: string) => T;
}

/** Raised when a record on a topic is not a message this version understands. */
export class PayloadError extends Error {
  constructor(topic: string, reason: string) {
    super(`invalid payload on topic ${topic}: ${reason}`);
    this.name = 'PayloadError';
  }
}

/**
 * Builds a decoder that parses JSON and checks the envelope version. Full
 * schema checks of topic payloads run in tests; the hot path checks only
 * what a mismatched producer would get wrong first.
 */
function decoderFor<T>(topic: string, requiredKeys: string[]): (text: string) => T {
  return (text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new PayloadError(topic, `not JSON (${(error as Error).message})`);
    }
    if (!isPlainObject(value)) throw new PayloadError(topic, 'expected a JSON object');
    if (value.version !== 1) throw new PayloadError(topic, `unsupported version ${String(value.version)}, expected 1`);
    for (const key of requiredKeys) {
      if (!(key in value)) throw new PayloadError(topic, `missing field ${key}`);
    }
    return value as T;
  };
}

export const METRICS: TopicSpec<IngestedBatch> = {
  name: 'metrics',
  decode: decoderFor('metrics', ['agentId', 'samples', 'receivedAt']),
};

export const ALERTS: TopicSpec<AlertEvent> = {
  name: 'alerts',
  decode: decoderFor('alerts', ['fingerprint', 'sequence', 'state', 'rule']),
};

export const NOTIFICATIONS: TopicSpec<Notification> = {
  name: 'notifications',
  decode: decoderFor('notifications', ['idempotencyKey', 'receiver', 'alert']),
};

export const DEAD_LETTERS: TopicSpec<DeadLetter> = {
  name: 'dead-letters',
  decode: decoderFor('dead-letters', ['notification', 'error', 'attempts', 'failedAt']),
};

/** Router and notifier decisions about alert transitions, keyed by fingerprint. */
export const DECISIONS: TopicSpec<Decision> = {
  name: 'decisions',
  decode: decoderFor('decisions', ['id', 'ts', 'fingerprint', 'reason']),
};

export const ALL_TOPICS = [METRICS, ALERTS, NOTIFICATIONS, DEAD_LETTERS, DECISIONS] as const;
