import type { Test } from 'tap';
import type { Notification } from '../../../pipeline/messages/notification.js';
import { type Channel, DeliveryError } from '../channel.js';

/** Delivers `notification` through `channel`, checks that it throws a DeliveryError and returns that error. */
export async function expectDeliveryError(t: Test, channel: Channel, notification: Notification): Promise<DeliveryError> {
  try {
    await channel.deliver(notification);
  } catch (error) {
    t.type(error, DeliveryError);
    return error as DeliveryError;
  }
  throw new Error(`delivery to ${notification.receiver} succeeded, expected a DeliveryError`);
}
