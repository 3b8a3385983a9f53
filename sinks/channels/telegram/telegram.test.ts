import t, { type Test } from 'tap';
import { ManualClock } from '../../../pipeline/clock/index.js';
import { silentLogger } from '../../../pipeline/log/logger.js';
import { MemoryDedupLog } from '../../../pipeline/state/dedup-log.js';
import { Notifier, notifierConfigSchema } from '../../notifier.js';
import type { Channel, DeliveryError } from '../channel.js';
import { ChannelConfigError } from '../config-fields.js';
import { createChannel, receiverConfigSchema } from '../registry.js';
import { expectDeliveryError } from '../test-support/delivery.js';
import { closedPort } from '../test-support/loopback-server.js';
import { EMOJI_ANNOTATION, HOSTILE_AGENT, T0, groupNotification, hostileNotification, oversizeNotification, sampleNotification } from '../test-support/notifications.js';
import {
  TELEGRAM_CHAT_ID,
  TELEGRAM_TOKEN,
  type TelegramImitation,
  parseTelegramHtml,
  startTelegramImitation,
  tooManyRequests,
} from '../test-support/telegram-imitation.js';
import { TELEGRAM_MAX_TEXT, encodeTelegramText } from './encode.js';
import { TelegramTransport } from './transport.js';

async function telegram(apiUrl: string, extra: Record<string, unknown> = {}, env: Record<string, string> = { TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN }): Promise<Channel> {
  const config = receiverConfigSchema.parse({
    name: 'ops-telegram',
    type: 'telegram',
    bot_token: { env: 'TELEGRAM_BOT_TOKEN' },
    chat_id: TELEGRAM_CHAT_ID,
    api_url: apiUrl,
    timeout: '2s',
    ...extra,
  });
  return createChannel(config, { logger: silentLogger, clock: new ManualClock(T0), env });
}

const deliveryError = (t: Test, channel: Channel): Promise<DeliveryError> => expectDeliveryError(t, channel, sampleNotification('ops-telegram'));

function checkNoToken(t: Test, text: string): void {
  t.notMatch(text, /S3cr3tBotToken/, 'no bot token');
  t.notMatch(text, /\/bot\d/, 'no request path');
}

function accepted(t: Test, imitation: TelegramImitation) {
  t.same(imitation.rejections, [], 'the imitation accepted every request');
  t.equal(imitation.accepted.length, 1, 'one message accepted');
  return imitation.accepted[0]!;
}

t.test('telegram sends an HTML message', async (t) => {
  const imitation = await startTelegramImitation(t);
  await (await telegram(imitation.apiUrl)).deliver(sampleNotification('ops-telegram'));

  t.equal(imitation.requests[0]!.url, `/bot${TELEGRAM_TOKEN}/sendMessage`);
  const message = accepted(t, imitation);
  t.same(Object.keys(message.request).sort(), ['chat_id', 'link_preview_options', 'parse_mode', 'text']);
  t.equal(message.request.chat_id, TELEGRAM_CHAT_ID);
  t.equal(message.request.parse_mode, 'HTML');
  t.same(message.request.link_preview_options, { is_disabled: true });
  t.equal(
    message.text,
    [
      '🔴 FIRING · critical',
      'HighCPU on web-1',
      'Value: 97.25',
      'Active since: 2026-03-01T11:57:00Z',
      '',
      'summary',
      'CPU above 90% for 3m',
      'runbook',
      'https://runbooks.example.com/cpu',
      '',
      'Labels: agent=web-1, alertname=HighCPU, core=0',
      '',
      'Tags: env=prod, team=platform',
      '',
      'fingerprint fp-cpu-web1 · transition 3',
    ].join('\n'),
  );
  t.same(
    message.entities.filter((entity) => entity.type === 'code').map((entity) => message.text.slice(entity.offset, entity.offset + entity.length)),
    ['web-1', '97.25'],
    'agent and value in code entities',
  );
});

t.test('telegram sends the optional fields', async (t) => {
  const imitation = await startTelegramImitation(t, '@fleet_alerts');
  await (await telegram(imitation.apiUrl, { chat_id: '@fleet_alerts', message_thread_id: 42, disable_notification: true })).deliver(sampleNotification('ops-telegram'));
  const message = accepted(t, imitation);
  t.equal(message.request.chat_id, '@fleet_alerts');
  t.equal(message.request.message_thread_id, 42);
  t.equal(message.request.disable_notification, true);
});

t.test('telegram escapes hostile text', async (t) => {
  const imitation = await startTelegramImitation(t);
  await (await telegram(imitation.apiUrl)).deliver(hostileNotification('ops-telegram'));

  const message = accepted(t, imitation);
  t.match(message.text, `Disk<Full>&Co on ${HOSTILE_AGENT}`, 'rule and agent arrive as written');
  t.match(message.text, EMOJI_ANNOTATION, 'emoji and line breaks arrive as written');
  t.match(message.text, '</code><i>not a tag</i> &amp; &#x26; *bold* _it_', 'markup in an annotation arrives as text');
  t.match(message.text, 'owner=a&b <ops@example.com>');
  const sent = String(message.request.text);
  t.match(sent, '<code>&lt;b&gt;&amp;*_[]()~&gt;#+-=|{}.!</code>', 'only <, > and & are escaped');
});

t.test('telegram keeps oversize alerts within 4096', async (t) => {
  const imitation = await startTelegramImitation(t);
  await (await telegram(imitation.apiUrl)).deliver(oversizeNotification('ops-telegram'));

  const message = accepted(t, imitation);
  t.ok(message.text.length <= TELEGRAM_MAX_TEXT, `parsed length ${message.text.length} within 4096`);
  t.ok(message.text.length > TELEGRAM_MAX_TEXT - 10, 'annotations fill the budget');
  t.ok(String(message.request.text).length > TELEGRAM_MAX_TEXT, 'the HTML itself may be longer');
  t.match(message.text, /\nTags: tag_0=t<t</, 'tags still shown');
  t.match(message.text, /…\n\nLabels: /, 'annotations cut with an ellipsis');
  t.match(message.text, /fingerprint fp-cpu-web1 · transition 3$/, 'footer kept');
});

t.test('telegram lists every alert of a group', async (t) => {
  const imitation = await startTelegramImitation(t);
  await (await telegram(imitation.apiUrl)).deliver(groupNotification('ops-telegram', 3, { resolved: 1 }));

  const message = accepted(t, imitation);
  const alertLines = (index: number, state: string, severity: string) => [
    `${state === 'RESOLVED' ? '✅' : severity === 'critical' ? '🔴' : '🟠'} ${state} · ${severity} · HighCPU on web-${index} · value ${89 + index} · since 2026-03-01T11:57:00Z`,
    `summary: CPU above 90% on web-${index}`,
    `Labels: agent=web-${index}, alertname=HighCPU`,
    `Tags: env=prod, rack=r${index}`,
  ];
  t.equal(
    message.text,
    [
      '🔴 [FIRING:2] HighCPU',
      '3 alerts: 2 firing, 1 resolved',
      'Grouped by: alertname=HighCPU',
      '',
      ...alertLines(1, 'RESOLVED', 'critical'),
      '',
      ...alertLines(2, 'FIRING', 'warning'),
      '',
      ...alertLines(3, 'FIRING', 'critical'),
      '',
      'group root/ops-telegram:{alertname="HighCPU"} · receiver ops-telegram',
    ].join('\n'),
  );
  t.same(
    message.entities.filter((entity) => entity.type === 'code').map((entity) => message.text.slice(entity.offset, entity.offset + entity.length)),
    ['web-1', '90', 'web-2', '91', 'web-3', '92'],
    'agents and values in code entities',
  );
});

t.test('telegram summarises a group beyond 4096', async (t) => {
  const imitation = await startTelegramImitation(t);
  await (await telegram(imitation.apiUrl)).deliver(groupNotification('ops-telegram', 200));

  const message = accepted(t, imitation);
  t.ok(message.text.length <= TELEGRAM_MAX_TEXT, `parsed length ${message.text.length} within 4096`);
  const detailed = message.text.match(/^.* · HighCPU on web-\d+ · /gm) ?? [];
  t.ok(detailed.length > 10, `${detailed.length} alerts in full`);
  const more = new RegExp(`^… and ${200 - detailed.length} more alerts: HighCPU firing on web-${detailed.length + 1}, `, 'm');
  t.match(message.text, more, 'the rest summed up');
  t.equal((message.text.match(/^Tags: env=prod, rack=r\d+$/gm) ?? []).length, detailed.length, 'tags of every alert shown');
  t.match(message.text, /\n\ngroup root\/ops-telegram:\{alertname="HighCPU"\} · receiver ops-telegram$/, 'footer kept');
});

t.test('telegram keeps oversize alerts of a group within 4096', async (t) => {
  const imitation = await startTelegramImitation(t);
  const oversize = oversizeNotification('ops-telegram').alert;
  await (await telegram(imitation.apiUrl)).deliver(groupNotification('ops-telegram', 30, { alert: (index) => ({ ...oversize, fingerprint: `fp-${index}` }) }));

  const message = accepted(t, imitation);
  t.ok(message.text.length <= TELEGRAM_MAX_TEXT, `parsed length ${message.text.length} within 4096`);
  t.ok(String(message.request.text).length > TELEGRAM_MAX_TEXT, 'the HTML itself is longer');
  t.match(message.text, /\nTags: tag_0=t<t</, 'tags shown even when long');
  t.match(message.text, /\n… and \d+ more alerts: R+ firing on agent-x+…\n/, 'the rest summed up and cut');
});

t.test('telegram escapes hostile text in a group', async (t) => {
  const imitation = await startTelegramImitation(t);
  const hostile = hostileNotification('ops-telegram').alert;
  await (await telegram(imitation.apiUrl)).deliver(groupNotification('ops-telegram', 2, { alert: (index) => ({ ...hostile, fingerprint: `fp-${index}` }) }));

  const message = accepted(t, imitation);
  t.match(message.text, `Disk<Full>&Co on ${HOSTILE_AGENT}`, 'rule and agent arrive as written');
  t.match(message.text, 'Tags: emoji=🚀 ✨, owner=a&b <ops@example.com>', 'tags arrive as written');
  t.match(message.text, EMOJI_ANNOTATION, 'emoji and line breaks arrive as written');
});

t.test('telegram length counts parsed text', async (t) => {
  // 2000 ampersands are 10000 characters of HTML but 2000 of text.
  const text = encodeTelegramText(sampleNotification('ops-telegram', { annotations: { summary: '&'.repeat(2_000) } }));
  const parsed = parseTelegramHtml(text);
  t.notOk('error' in parsed);
  if ('error' in parsed) return;
  t.match(parsed.text, '&'.repeat(2_000), 'nothing cut');
});

t.test('telegram imitation rejects bad HTML', async (t) => {
  const cases: Array<[string, string, RegExp | undefined]> = [
    ['plain', 'a <b>bold</b> &amp; &lt;tag&gt; &#128293; &#x1F525;', undefined],
    ['raw <', 'a < b', /Unsupported start tag|Unclosed start tag/],
    ['raw >', 'a > b', /Character '>' at byte offset 2/],
    ['raw &', 'a & b', /Character '&' at byte offset 2/],
    ['named entity', '&nbsp;', /Character '&'/],
    ['unknown tag', '<blink>x</blink>', /Unsupported start tag "blink" at byte offset 0/],
    ['unclosed', '<b>x', /Can't find end tag corresponding to start tag "b"/],
    ['crossed', '<b><i>x</b></i>', /Unmatched end tag/],
    ['attribute', '<b class="x">x</b>', /unsupported attribute "class"/],
    ['tag in code', '<code><b>x</b></code>', /can't contain "b"/],
    ['byte offset', '🔥 <x>', /at byte offset 5/],
  ];
  for (const [name, html, expected] of cases) {
    const result = parseTelegramHtml(html);
    if (expected === undefined) t.notOk('error' in result, name);
    else t.match('error' in result ? result.error : '', expected, name);
  }
});

t.test('telegram imitation responds like the Bot API', async (t) => {
  const imitation = await startTelegramImitation(t);
  const transport = new TelegramTransport({ apiUrl: new URL(imitation.apiUrl), botToken: TELEGRAM_TOKEN, timeoutMs: 2_000, clock: new ManualClock(T0), receiver: 'ops-telegram' });
  const send = (text: string) =>
    transport.send({ chat_id: TELEGRAM_CHAT_ID, text, parse_mode: 'HTML', link_preview_options: { is_disabled: true } }).then(
      () => undefined,
      (error: unknown) => error as DeliveryError,
    );

  const unescaped = await send(`agent ${HOSTILE_AGENT}`);
  t.equal(unescaped?.retryable, false);
  t.equal(unescaped?.status, 400);
  t.match(unescaped?.message, /telegram ops-telegram \(http:\/\/127\.0\.0\.1:\d+\) responded with HTTP 400: Bad Request: can't parse entities: /);

  const tooLong = await send('x'.repeat(4_097));
  t.match(tooLong?.message, /HTTP 400: Bad Request: message is too long/);
  t.equal(await send('x'.repeat(4_096)), undefined, '4096 characters accepted');

  const empty = await send('<b></b>');
  t.match(empty?.message, /message text is empty/);
});

t.test('telegram 429 reads retry_after', async (t) => {
  const imitation = await startTelegramImitation(t);
  imitation.script.push(tooManyRequests(7));
  const error = await deliveryError(t, await telegram(imitation.apiUrl));
  t.equal(error.retryable, true);
  t.equal(error.status, 429);
  t.equal(error.retryAfterMs, 7_000, 'from parameters.retry_after, without a header');
  t.match(error.message, /HTTP 429: Too Many Requests: retry after 7/);
  checkNoToken(t, error.message);
});

t.test('telegram 429 delays the next attempt', async (t) => {
  const imitation = await startTelegramImitation(t);
  imitation.script.push(tooManyRequests(3));
  const clock = new ManualClock(T0);
  const config = receiverConfigSchema.parse({ name: 'ops-telegram', type: 'telegram', bot_token: { env: 'TOKEN' }, chat_id: TELEGRAM_CHAT_ID, api_url: imitation.apiUrl });
  const channel = await createChannel(config, { logger: silentLogger, clock, env: { TOKEN: TELEGRAM_TOKEN } });
  const notifier = new Notifier({
    channels: new Map([['ops-telegram', channel]]),
    store: { writeDeliveries: async () => {} },
    dedupLog: new MemoryDedupLog(clock),
    clock,
    logger: silentLogger,
    config: notifierConfigSchema.parse({}),
    // No jitter, so the wait is the retry_after alone.
    random: () => 0,
  });

  let settled = false;
  const delivery = notifier.deliverWithResult(sampleNotification('ops-telegram')).finally(() => {
    settled = true;
  });
  // Moves the clock only while the notifier sleeps, so the HTTP round trips take no simulated time.
  while (!settled) {
    if (clock.pendingTimers > 0) await clock.advance(500);
    else await new Promise((resolve) => setTimeout(resolve, 5));
  }

  const result = await delivery;
  t.equal(result.outcome, 'delivered');
  t.equal(result.attempts, 2);
  t.equal(result.at, T0 + 3_000, 'the second attempt came after retry_after');
  t.equal(imitation.accepted.length, 1);
});

t.test('telegram 429 falls back to Retry-After', async (t) => {
  const imitation = await startTelegramImitation(t);
  imitation.script.push({ status: 429, headers: { 'Retry-After': '4' }, body: 'busy' });
  const error = await deliveryError(t, await telegram(imitation.apiUrl));
  t.equal(error.retryAfterMs, 4_000);
});

t.test('telegram 500 is retryable', async (t) => {
  const imitation = await startTelegramImitation(t);
  imitation.script.push({ status: 500, headers: { 'Content-Type': 'application/json' }, body: '{"ok":false,"error_code":500,"description":"Internal Server Error"}' });
  const error = await deliveryError(t, await telegram(imitation.apiUrl));
  t.equal(error.retryable, true);
  t.match(error.message, /HTTP 500: Internal Server Error/);
});

t.test('telegram wrong token is permanent', async (t) => {
  const imitation = await startTelegramImitation(t);
  const error = await deliveryError(t, await telegram(imitation.apiUrl, {}, { TELEGRAM_BOT_TOKEN: '42:WrongS3cr3tBotTokenValue' }));
  t.equal(error.retryable, false);
  t.equal(error.status, 401);
  t.match(error.message, /HTTP 401: Unauthorized/);
  t.notMatch(error.message, /WrongS3cr3t/);
});

t.test('telegram migrated group names the new chat', async (t) => {
  const imitation = await startTelegramImitation(t);
  imitation.script.push({
    status: 400,
    body: JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: -1009876543210 } }),
  });
  const error = await deliveryError(t, await telegram(imitation.apiUrl));
  t.equal(error.retryable, false);
  t.match(error.message, /set chat_id to -1009876543210/);
});

t.test('telegram quotes no echoed token', async (t) => {
  const imitation = await startTelegramImitation(t);
  imitation.script.push({ status: 403, body: JSON.stringify({ ok: false, error_code: 403, description: `Forbidden: bot ${TELEGRAM_TOKEN} was kicked` }) });
  const error = await deliveryError(t, await telegram(imitation.apiUrl));
  t.match(error.message, /Forbidden: bot \[redacted\] was kicked/);
  checkNoToken(t, error.message);
});

t.test('telegram refused connection is retryable', async (t) => {
  const port = await closedPort();
  const error = await deliveryError(t, await telegram(`http://127.0.0.1:${port}`));
  t.equal(error.retryable, true);
  t.match(error.message, /telegram ops-telegram \(http:\/\/127\.0\.0\.1:\d+\) could not be reached: ECONNREFUSED/);
  checkNoToken(t, error.message);
});

t.test('telegram config checks values', async (t) => {
  const base = { name: 'ops-telegram', type: 'telegram', bot_token: { env: 'TOKEN' }, chat_id: -100123 };
  t.equal(receiverConfigSchema.safeParse(base).success, true, 'minimal config');
  t.equal(receiverConfigSchema.safeParse({ ...base, bot_token: TELEGRAM_TOKEN }).success, false, 'inline token');
  t.equal(receiverConfigSchema.safeParse({ ...base, chat_id: 'general' }).success, false, 'chat name without @');
  t.equal(receiverConfigSchema.safeParse({ ...base, chat_id: '-100123' }).success, true, 'numeric string');
  t.equal(receiverConfigSchema.safeParse({ ...base, api_url: 'ftp://api.example.com' }).success, false, 'non-http api_url');
  t.equal(receiverConfigSchema.safeParse({ ...base, parse_mode: 'MarkdownV2' }).success, false, 'parse mode is fixed');

  const config = receiverConfigSchema.parse(base);
  const context = { logger: silentLogger, clock: new ManualClock(T0) };
  await t.rejects(createChannel(config, { ...context, env: {} }), ChannelConfigError);
  const malformed = createChannel(config, { ...context, env: { TOKEN: 'not-a-token S3cr3tBotToken' } });
  await t.rejects(malformed, /bot_token is not a bot token of the form/);
  await malformed.catch((error: Error) => checkNoToken(t, error.message));
});
