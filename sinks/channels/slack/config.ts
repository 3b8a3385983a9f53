import { z } from 'zod';
import { duration } from '../../../pipeline/config/fields.js';
import { secretReference } from '../config-fields.js';

/**
 * Posts each notification to a Slack incoming webhook as a Block Kit message
 * in an attachment whose colour shows the severity.
 *
 * The webhook URL is a secret, because anyone who has it can post to the
 * channel. It is read from an environment variable or a file, and neither
 * its path nor the whole URL reaches a log line or an error message.
 *
 * ```yaml
 * receivers:
 *   - name: team-chat
 *     type: slack
 *     webhook_url: { env: SLACK_WEBHOOK_URL }
 *     timeout: 10s
 * ```
 */
export const slackConfigSchema = z.strictObject({
  type: z.literal('slack'),
  /** `https://hooks.slack.com/services/…`, from `{ env: NAME }` or `{ file: PATH }`. */
  webhook_url: secretReference,
  /** Time one POST may take, connection included, before it fails as retryable. */
  timeout: duration({ min: 1 }).prefault('10s'),
});

export type SlackConfig = z.output<typeof slackConfigSchema>;
