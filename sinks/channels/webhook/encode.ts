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
