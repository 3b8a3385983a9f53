import type { Notification } from '../../../pipeline/messages/notification.js';

/** Log fields of a console notification. */
export interface ConsoleLine {
  fields: {
    idempotencyKey: string;
    receiver: string;
    fingerprint: string;
    sequence: number;
    state: string;
    rule: string;
    severity: string;
    agentId: string;
    value: number;
  };
  message: string;
}

/**
 * Picks the fields that identify the alert and its transition. Labels, tags
 * and annotations stay out: rule authors fill them from templates and agent
 * tags, so they may carry text that does not belong in a shared log.
 */
export function encodeConsoleLine(notification: Notification): ConsoleLine {
  const { alert } = notification;
  return {
    fields: {
      idempotencyKey: notification.idempotencyKey,
      receiver: notification.receiver,
      fingerprint: alert.fingerprint,
      sequence: alert.sequence,
      state: alert.state,
      rule: alert.rule,
      severity: alert.severity,
      agentId: alert.agentId,
      value: alert.value,
    },
    message: `alert ${alert.rule} ${alert.state} on ${alert.agentId}`,
  };
}
