import type { AlertEvent } from '../../../pipeline/messages/alert-event.js';
import type { Notification } from '../../../pipeline/messages/notification.js';
import { alertGroup, groupName } from '../group.js';

/**
 * Maximum number of alerts listed in one log line. The rest of a larger group
 * are only counted, so that an alert storm does not write lines of megabytes.
 */
export const CONSOLE_MAX_ALERTS = 100;

/** One alert in a console log line. */
export type ConsoleAlert = Pick<AlertEvent, 'fingerprint' | 'sequence' | 'state' | 'rule' | 'severity' | 'agentId' | 'value' | 'labels' | 'tags'>;

/** Log fields of a console notification. */
export interface ConsoleLine {
  fields: {
    idempotencyKey: string;
    receiver: string;
    groupKey?: string;
    groupLabels: Record<string, string>;
    status: 'firing' | 'resolved';
    /** Number of alerts in the group, listed or not. */
    alertCount: number;
    firing: number;
    resolved: number;
    alerts: ConsoleAlert[];
    /** Number of alerts beyond CONSOLE_MAX_ALERTS, which are counted but not listed. */
    omittedAlerts: number;
  };
  message: string;
}

/**
 * Builds the log message and fields of a notification: the fields that
 * identify the group and each alert's transition, with the alert's labels and
 * the agent's tags. Annotations stay out, because rule authors fill them from
 * templates, so they may contain text that does not belong in a shared log.
 */
export function encodeConsoleLine(notification: Notification): ConsoleLine {
  const group = alertGroup(notification);
  const listed = group.alerts.slice(0, CONSOLE_MAX_ALERTS);
  const [first] = group.alerts;

  const fields: ConsoleLine['fields'] = {
    idempotencyKey: notification.idempotencyKey,
    receiver: notification.receiver,
    groupLabels: group.groupLabels,
    status: group.status,
    alertCount: group.alerts.length,
    firing: group.firing,
    resolved: group.resolved,
    alerts: listed.map((alert) => ({
      fingerprint: alert.fingerprint,
      sequence: alert.sequence,
      state: alert.state,
      rule: alert.rule,
      severity: alert.severity,
      agentId: alert.agentId,
      value: alert.value,
      labels: alert.labels,
      tags: alert.tags,
    })),
    omittedAlerts: group.alerts.length - listed.length,
  };
  if (group.groupKey !== undefined) fields.groupKey = group.groupKey;

  const message =
    group.alerts.length === 1 && first
      ? `alert ${first.rule} ${first.state} on ${first.agentId}`
      : `alert group ${groupName(group)} ${group.status}: ${group.alerts.length} alerts, ${group.firing} firing, ${group.resolved} resolved`;
  return { fields, message };
}
