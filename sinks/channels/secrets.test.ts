import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { systemClock } from '../../pipeline/clock/index.js';
import { createLogger } from '../../pipeline/log/logger.js';
import { MemoryDedupLog } from '../../pipeline/state/dedup-log.js';
import type { DeliveryRecord } from '../../pipeline/store/store.js';
import { Notifier, notifierConfigSchema } from '../notifier.js';
import { deadLetter } from '../sink-role.js';
import { createChannels, receiversSchema } from './registry.js';
import { captureLog } from './test-support/log-capture.js';
import { startLoopbackServer } from './test-support/loopback-server.js';
import { sampleNotification } from './test-support/notifications.js';
import { SLACK_WEBHOOK_PATH, startSlackImitation } from './test-support/slack-imitation.js';
import { startSmtpCapture } from './test-support/smtp-capture.js';
import { TELEGRAM_CHAT_ID, TELEGRAM_TOKEN, startTelegramImitation } from './test-support/telegram-imitation.js';

const SMTP_PASSWORD = 'smtp-Pa55word-never-logged';
const WEBHOOK_AUTHORIZATION = 'Bearer webhook-t0ken-never-logged';

t.test('secrets reach no log line or error', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'fleetpulse-secrets-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));

  // Each receiver fails in a way that makes the server echo the secret back.
  const slack = await startSlackImitation(t);
  slack.script.push({ status: 500, body: `internal error while posting to ${slack.url}` }, { status: 400, body: `invalid_blocks at ${SLACK_WEBHOOK_PATH}` });
  const telegram = await startTelegramImitation(t);
  telegram.script.push({ status: 403, body: JSON.stringify({ ok: false, error_code: 403, description: `Forbidden: bot ${TELEGRAM_TOKEN} was blocked by the user` }) });
  const smtp = await startSmtpCapture(t, { user: 'alerts@example.com', password: SMTP_PASSWORD });
  smtp.rejectData.push({ code: 451, text: `try later, user alerts@example.com password ${SMTP_PASSWORD}` }, { code: 554, text: `rejected for ${SMTP_PASSWORD}` });
  const webhook = await startLoopbackServer(t, (request, response) => response.writeHead(502).end(`upstream refused ${String(request.headers.authorization)} on ${request.url}`));

  writeFileSync(join(directory, 'slack-url'), `${slack.url}\n`);
  writeFileSync(join(directory, 'smtp-password'), SMTP_PASSWORD);
  const env = { TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN, WEBHOOK_URL: `${webhook.origin}/hooks/webhook-path-secret`, WEBHOOK_AUTHORIZATION };

  const receivers = receiversSchema.parse([
    { name: 'team-chat', type: 'slack', webhook_url: { file: join(directory, 'slack-url') }, timeout: '2s' },
    { name: 'ops-telegram', type: 'telegram', bot_token: { env: 'TELEGRAM_BOT_TOKEN' }, chat_id: TELEGRAM_CHAT_ID, api_url: telegram.apiUrl, timeout: '2s' },
    {
      name: 'oncall-mail',
      type: 'email',
      host: '127.0.0.1',
      port: smtp.port,
      auth: { user: 'alerts@example.com', password: { file: join(directory, 'smtp-password') } },
      from: 'alerts@example.com',
      to: ['oncall@example.com'],
      timeout: '5s',
    },
    { name: 'oncall-hook', type: 'webhook', url: { env: 'WEBHOOK_URL' }, headers: { Authorization: { env: 'WEBHOOK_AUTHORIZATION' } }, timeout: '2s' },
  ]);

  const { logger, lines } = captureLog('trace');

  const channels = await createChannels(receivers, { logger, clock: systemClock, env });
  const records: DeliveryRecord[] = [];
  const notifier = new Notifier({
    channels,
    store: { writeDeliveries: async (deliveries) => void records.push(...deliveries) },
    dedupLog: new MemoryDedupLog(systemClock),
    clock: systemClock,
    logger,
    config: { ...notifierConfigSchema.parse({ retry: { max_attempts: 2, initial_backoff: '1ms', max_backoff: '1ms' } }), receivers },
  });

  const letters: string[] = [];
  for (const receiver of ['team-chat', 'ops-telegram', 'oncall-mail', 'oncall-hook']) {
    const notification = sampleNotification(receiver);
    const result = await notifier.deliverWithResult(notification);
    t.equal(result.outcome, 'failed', `${receiver} failed`);
    letters.push(JSON.stringify(deadLetter(notification, result)));
  }

  const logText = lines.join('');
  t.equal(lines.filter((line) => line.includes('"notification delivery failed"')).length, 4, 'the capture saw every failure');
  t.equal(lines.filter((line) => line.includes('retrying')).length, 3, 'and every retry: slack, email and webhook');
  t.match(logText, /slack team-chat \(http:\/\/127\.0\.0\.1:\d+\) responded with HTTP 500/, 'errors name the receiver and origin');

  const secrets: Array<[string, string]> = [
    ['Slack webhook URL', slack.url],
    ['Slack webhook path', SLACK_WEBHOOK_PATH],
    ['Slack webhook secret part', 's3cr3tSlackPath'],
    ['Telegram bot token', TELEGRAM_TOKEN],
    ['Telegram token secret part', TELEGRAM_TOKEN.split(':')[1]!],
    ['SMTP password', SMTP_PASSWORD],
    ['webhook Authorization', WEBHOOK_AUTHORIZATION],
    ['webhook token', 'webhook-t0ken-never-logged'],
    ['webhook URL path', 'webhook-path-secret'],
  ];
  const errors = records.map((record) => record.error ?? '').join('\n');
  for (const [name, secret] of secrets) {
    t.notOk(logText.includes(secret), `${name} in no log line`);
    t.notOk(errors.includes(secret), `${name} in no delivery record`);
    t.notOk(letters.join('\n').includes(secret), `${name} in no dead letter`);
  }
  t.match(errors, /\[redacted\]/, 'echoed secrets were masked');
});

t.test('secret config errors name the source only', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'fleetpulse-secrets-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const malformed = 'not-a-token-but-S3CRET-text';
  writeFileSync(join(directory, 'token'), malformed);

  const receivers = receiversSchema.parse([{ name: 'ops-telegram', type: 'telegram', bot_token: { file: join(directory, 'token') }, chat_id: 1 }]);
  const error = await createChannels(receivers, { logger: createLogger({ level: 'silent' }), clock: systemClock, env: {} }).then(
    () => undefined,
    (caught: unknown) => caught as Error,
  );
  t.match(error?.message, /receiver ops-telegram: bot_token is not a bot token/);
  t.notMatch(error?.message, /S3CRET/);
});
