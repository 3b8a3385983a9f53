import type { TopicConfig } from '../bus/bus.js';
import type { BusConfig } from '../config/schema.js';
import { ALL_TOPICS } from '../messages/topics.js';

/** Full topic names and consumer group names, derived from the configured prefix. */
export interface TopicNames {
  metrics: string;
  alerts: string;
  notifications: string;
  /** Notifications the notifier gave up on. */
  deadLetters: string;
  /** Router and notifier decisions, the suppression log. */
  decisions: string;
  groups: {
    processor: string;
    router: string;
    sinkMetrics: string;
    sinkAlerts: string;
    notifier: string;
    /** The sink role's group that logs dead letters. */
    deadLetters: string;
    /** The sink role's group that stores decisions. */
    sinkDecisions: string;
  };
}

export function topicNames(bus: BusConfig): TopicNames {
  const prefix = bus.topic_prefix;
  return {
    metrics: `${prefix}metrics`,
    alerts: `${prefix}alerts`,
    notifications: `${prefix}notifications`,
    deadLetters: `${prefix}dead-letters`,
    decisions: `${prefix}decisions`,
    groups: {
      processor: `${prefix}processor`,
      router: `${prefix}router`,
      sinkMetrics: `${prefix}sink-metrics`,
      sinkAlerts: `${prefix}sink-alerts`,
      notifier: `${prefix}notifier`,
      deadLetters: `${prefix}dead-letter-log`,
      sinkDecisions: `${prefix}sink-decisions`,
    },
  };
}

export function topicConfigs(bus: BusConfig): TopicConfig[] {
  return ALL_TOPICS.map((topic) => ({ name: `${bus.topic_prefix}${topic.name}`, partitions: bus.partitions }));
}
