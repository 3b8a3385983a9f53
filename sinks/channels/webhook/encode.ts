import type { AlertEvent } from '../../../pipeline/messages/alert-event.js';
import type { Notification } from '../../../pipeline/messages/notification.js';
import { alertGroup, commonPairs, labelsWithTags } from '../group.js';

/**
 * JSON body of a native webhook request. `version` changes only with an
 * incompatible change, so fields are only ever added to version 1.
 */
export interface WebhookPayload {
  version: 1;
  /** Same as the Idempotency-Key header. */
  idempotencyKey: string;
  receiver: string;
  /** `firing` when any alert of the group fires, else `resolved`. */
  status: 'firing' | 'resolved';
  /** The router's group key; absent for notifications published before routers grouped alerts. */
  groupKey?: string;
  /** The group_by labels and their values. */
  groupLabels: Record<string, string>;
  /** The first alert of the group, the same as `alerts[0]`; kept for receivers written before `alerts`. */
  alert: AlertEvent;
  /** The group's alerts, each with its labels, annotations and the agent's tags, at most `max_alerts`. */
  alerts: AlertEvent[];
  /** Number of alerts of the group left out because of `max_alerts`. */
  truncatedAlerts: number;
}

/** Returns the first `maxAlerts` alerts (all of them for 0) and the number of the rest. */
function truncateAlerts(alerts: AlertEvent[], maxAlerts: number): { kept: AlertEvent[]; truncated: number } {
  if (maxAlerts === 0 || alerts.length <= maxAlerts) return { kept: alerts, truncated: 0 };
  return { kept: alerts.slice(0, maxAlerts), truncated: alerts.length - maxAlerts };
}

/** Encodes a notification in fleetpulse's own shape, with at most `maxAlerts` alerts (0: all). */
export function encodeWebhookPayload(notification: Notification, maxAlerts = 0): string {
  const group = alertGroup(notification);
  const { kept, truncated } = truncateAlerts(group.alerts, maxAlerts);
  const payload: WebhookPayload = {
    version: 1,
    idempotencyKey: notification.idempotencyKey,
    receiver: notification.receiver,
    status: group.status,
    groupLabels: group.groupLabels,
    alert: kept[0]!,
    alerts: kept,
    truncatedAlerts: truncated,
  };
  if (group.groupKey !== undefined) payload.groupKey = group.groupKey;
  return JSON.stringify(payload);
}

/** One alert of an Alertmanager webhook payload. */
export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339. */
  startsAt: string;
  /** RFC 3339 time, or Go's zero time while the alert fires, as Alertmanager sends it. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The body Prometheus Alertmanager's `webhook_config` receiver POSTs, payload version "4". */
export interface AlertmanagerPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

/** Go's encoding/json form of time.Time{}, which Alertmanager sends as endsAt of a firing alert. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Encodes a notification in Alertmanager's webhook shape. Alertmanager has
 * no tags, so each alert's tags are added to its labels, and an alert label
 * wins over a tag of the same name. `commonLabels` and `commonAnnotations` are
 * the pairs every alert sent has, computed after `maxAlerts` cut the list,
 * as Alertmanager does. `groupKey` is the router's group key, stable from
 * firing to resolved. A notification from before routers grouped alerts
 * gets `{}:{fingerprint="…"}` and its alert name as group labels. Only
 * `resolved` alerts are reported as resolved; every other state as firing.
 */
export function encodeAlertmanagerPayload(notification: Notification, externalUrl = '', maxAlerts = 0): string {
  const group = alertGroup(notification);
  const { kept, truncated } = truncateAlerts(group.alerts, maxAlerts);
  const first = kept[0]!;
  const alerts = kept.map(alertmanagerAlert);

  const payload: AlertmanagerPayload = {
    version: '4',
    groupKey: group.groupKey ?? `{}:{fingerprint=${JSON.stringify(first.fingerprint)}}`,
    truncatedAlerts: truncated,
    status: group.status,
    receiver: notification.receiver,
    groupLabels: notification.groupLabels ?? { alertname: first.labels.alertname ?? first.rule },
    commonLabels: commonPairs(alerts.map((alert) => alert.labels)),
    commonAnnotations: commonPairs(alerts.map((alert) => alert.annotations)),
    externalURL: externalUrl,
    alerts,
  };
  return JSON.stringify(payload);
}

function alertmanagerAlert(alert: AlertEvent): AlertmanagerAlert {
  const status = alert.state === 'resolved' ? 'resolved' : 'firing';
  return {
    status,
    labels: labelsWithTags(alert),
    annotations: alert.annotations,
    startsAt: new Date(alert.activeAt).toISOString(),
    endsAt: status === 'resolved' ? new Date(alert.at).toISOString() : GO_ZERO_TIME,
    generatorURL: '',
    fingerprint: alert.fingerprint,
  };
}
