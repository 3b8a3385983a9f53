import type { AlertEvent, AlertState } from '../../../pipeline/messages/alert-event.js';
import type { Notification } from '../../../pipeline/messages/notification.js';

/** The JSON body of a webhook request; `version` changes only with an incompatible change. */
export interface WebhookPayload {
  version: 1;
  /** Same as the Idempotency-Key header: `fingerprint:sequence:receiver`. */
  idempotencyKey: string;
  receiver: string;
  /** The alert's state after the transition. */
  status: AlertState;
  alert: AlertEvent;
}

export function encodeWebhookPayload(notification: Notification): string {
  const payload: WebhookPayload = {
    version: 1,
    idempotencyKey: notification.idempotencyKey,
    receiver: notification.receiver,
    status: notification.alert.state,
    alert: notification.alert,
  };
  return JSON.stringify(payload);
}

/** One alert of an Alertmanager webhook payload. */
export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339. */
  startsAt: string;
  /** RFC 3339; Go's zero time while the alert fires, as Alertmanager sends it. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/**
 * The body Prometheus Alertmanager's `webhook_config` receiver POSTs, payload
 * version "4". fleetpulse sends one alert per notification, so the common
 * labels and annotations are that alert's own.
 */
export interface AlertmanagerPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: 0;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: [AlertmanagerAlert];
}

/** Go's encoding/json form of time.Time{}, which Alertmanager sends as endsAt of a firing alert. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Encodes a notification in Alertmanager's webhook shape. Alertmanager has
 * no tags, so the agent's tags are added to the labels; an alert label wins
 * over a tag of the same name. `groupKey` is built from the fingerprint, so
 * a receiver that groups by it treats firing and resolved as one incident.
 * Only `resolved` is reported as resolved; every other state as firing.
 */
export function encodeAlertmanagerPayload(notification: Notification, externalUrl = ''): string {
  const { alert } = notification;
  const status = alert.state === 'resolved' ? 'resolved' : 'firing';
  const labels = { ...alert.tags, ...alert.labels };

  const payload: AlertmanagerPayload = {
    version: '4',
    groupKey: `{}:{fingerprint=${JSON.stringify(alert.fingerprint)}}`,
    truncatedAlerts: 0,
    status,
    receiver: notification.receiver,
    groupLabels: { alertname: alert.labels.alertname ?? alert.rule },
    commonLabels: labels,
    commonAnnotations: alert.annotations,
    externalURL: externalUrl,
    alerts: [
      {
        status,
        labels,
        annotations: alert.annotations,
        startsAt: new Date(alert.activeAt).toISOString(),
        endsAt: status === 'resolved' ? new Date(alert.at).toISOString() : GO_ZERO_TIME,
        generatorURL: '',
        fingerprint: alert.fingerprint,
      },
    ],
  };
  return JSON.stringify(payload);
}
