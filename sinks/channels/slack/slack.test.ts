import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ManualClock } from '../../../pipeline/clock/index.js';
import { silentLogger } from '../../../pipeline/log/logger.js';
import { type Channel, DeliveryError } from '../channel.js';
import { ChannelConfigError } from '../config-fields.js';
import { createChannel, receiverConfigSchema } from '../registry.js';
import { expectDeliveryError } from '../test-support/delivery.js';
import { closedPort } from '../test-support/loopback-server.js';
import { T0, groupNotification, hostileNotification, oversizeNotification, sampleNotification } from '../test-support/notifications.js';
import { SLACK_WEBHOOK_PATH, type SlackImitation, checkSlackRequest, startSlackImitation } from '../test-support/slack-imitation.js';
import { SLACK_LIMITS, type SlackBlock, type SlackMessage, encodeSlackMessage } from './encode.js';
import { SlackTransport } from './transport.js';

async function slack(url: string, extra: Record<string, unknown> = {}): Promise<Channel> {
  const config = receiverConfigSchema.parse({ name: 'team-chat', type: 'slack', webhook_url: { env: 'SLACK_WEBHOOK_URL' }, timeout: '2s', ...extra });
  return createChannel(config, { logger: silentLogger, clock: new ManualClock(T0), env: { SLACK_WEBHOOK_URL: url } });
}

const deliveryError = (t: Test, channel: Channel): Promise<DeliveryError> => expectDeliveryError(t, channel, sampleNotification('team-chat'));

function checkNoSecret(t: Test, text: string): void {
  t.notMatch(text, /s3cr3tSlackPath/, 'no webhook path');
  t.notMatch(text, /\/services\//, 'no webhook path prefix');
}

/** Returns the blocks of the message's one attachment. */
const blocksOf = (message: SlackMessage | { attachments?: Array<{ blocks?: unknown[] }> }): SlackBlock[] => (message.attachments?.[0]?.blocks ?? []) as SlackBlock[];

/** Joins the text of every block, for searching. */
const allText = (blocks: SlackBlock[]): string =>
  blocks
    .flatMap((block) => {
      if (block.type === 'header') return [block.text.text];
      if (block.type === 'section') return [block.text?.text ?? '', ...(block.fields ?? []).map((field) => field.text)];
      return block.elements.map((element) => element.text);
    })
    .join('\n');

function accepted(t: Test, imitation: SlackImitation): SlackMessage {
  t.same(imitation.rejections, [], 'the imitation accepted every payload');
  t.equal(imitation.accepted.length, 1, 'one message accepted');
  return imitation.accepted[0] as unknown as SlackMessage;
}

t.test('slack posts a Block Kit message', async (t) => {
  const imitation = await startSlackImitation(t);
  await (await slack(imitation.url)).deliver(sampleNotification('team-chat'));

  const request = imitation.requests[0]!;
  t.equal(request.method, 'POST');
  t.equal(request.url, SLACK_WEBHOOK_PATH);
  t.equal(request.headers['content-type'], 'application/json');

  const message = accepted(t, imitation);
  t.equal(message.text, '🔴 [FIRING] critical: HighCPU on web-1');
  t.equal(message.attachments[0]!.color, '#E01E5A', 'critical colour');

  const blocks = blocksOf(message);
  t.same(blocks[0], { type: 'header', text: { type: 'plain_text', text: '🔴 FIRING: HighCPU', emoji: true } });
  const text = allText(blocks);
  t.match(text, '*Agent*\nweb-1');
  t.match(text, '*Value*\n97.25');
  t.match(text, '*State*\nfiring');
  t.match(text, '*Rule*\nHighCPU');
  t.match(text, '*Active since*\n2026-03-01T11:57:00Z');
  t.match(text, '*summary*\nCPU above 90% for 3m');
  t.match(text, '*runbook*\nhttps://runbooks.example.com/cpu');
  t.match(text, '*Labels:* agent=web-1 · alertname=HighCPU · core=0');
  t.match(text, '*Tags:* env=prod · team=platform');
  t.match(text, 'fingerprint fp-cpu-web1 · transition 3');
});

t.test('slack resolved message is green', async (t) => {
  const message = encodeSlackMessage(sampleNotification('team-chat', { state: 'resolved', at: T0 + 60_000 }));
  t.equal(message.attachments[0]!.color, '#2EB67D');
  t.equal(message.text, '✅ [RESOLVED] critical: HighCPU on web-1');
  t.match(allText(blocksOf(message)), '*Resolved at*\n2026-03-01T12:01:00Z');
});

t.test('slack shows empty tags as none', async (t) => {
  const message = encodeSlackMessage(sampleNotification('team-chat', { tags: {} }));
  t.match(allText(blocksOf(message)), '*Tags:* none');
});

t.test('slack escapes hostile text', async (t) => {
  const imitation = await startSlackImitation(t);
  await (await slack(imitation.url)).deliver(hostileNotification('team-chat'));

  const message = accepted(t, imitation);
  const text = allText(blocksOf(message));
  t.match(text, '*Agent*\n&lt;b&gt;&amp;*_[]()~&gt;#+-=|{}.!', 'agent escaped in a field');
  t.match(text, 'Disk 🔥 almost full 💾\nline two\n\nline four with `code` &amp; &lt;tags&gt;', 'emoji and line breaks kept');
  t.match(text, 'owner=a&amp;b &lt;ops@example.com&gt;', 'tag escaped');
  t.match(message.text, '&lt;b&gt;&amp;', 'fallback text escaped');
  t.equal(blocksOf(message)[0]!.type, 'header');
  t.match(allText(blocksOf(message).slice(0, 1)), 'Disk<Full>&Co', 'plain_text header keeps the raw rule name');
  t.notMatch(allText(blocksOf(message).slice(1)), /<b>/, 'no raw tag in mrkdwn text');
});

t.test('slack keeps oversize alerts within limits', async (t) => {
  const imitation = await startSlackImitation(t);
  await (await slack(imitation.url)).deliver(oversizeNotification('team-chat'));

  const message = accepted(t, imitation);
  const blocks = blocksOf(message);
  t.equal(blocks.length, SLACK_LIMITS.blocks, 'annotations fill the block budget');
  const header = blocks[0] as Extract<SlackBlock, { type: 'header' }>;
  t.equal(header.text.text.length, SLACK_LIMITS.headerText, 'header cut to 150');
  t.ok(header.text.text.endsWith('…'), 'header ends with an ellipsis');

  const summary = blocks[2] as Extract<SlackBlock, { type: 'section' }>;
  t.ok(summary.text!.text.length <= SLACK_LIMITS.sectionText, 'annotation within 3000');
  t.ok(summary.text!.text.endsWith('…'));
  t.notOk(/[\ud800-\udbff]…$/.test(summary.text!.text), 'no half surrogate pair before the ellipsis');

  const last = blocks[SLACK_LIMITS.blocks - 4] as Extract<SlackBlock, { type: 'section' }>;
  t.match(last.text!.text, /^\*note_\d\d\*: /, 'the last annotation section collects the rest');
  t.notMatch(last.text!.text, /&(?!(amp|lt|gt);)/, 'no entity split by the cut');

  const tags = blocks.at(-2) as Extract<SlackBlock, { type: 'context' }>;
  t.match(tags.elements[0]!.text, /^\*Tags:\* tag_0=/, 'tags shown even when long');
  t.ok(tags.elements[0]!.text.length <= SLACK_LIMITS.textObject);
});

t.test('slack shows every alert of a group', async (t) => {
  const imitation = await startSlackImitation(t);
  await (await slack(imitation.url)).deliver(groupNotification('team-chat', 3, { resolved: 1 }));

  const message = accepted(t, imitation);
  t.equal(message.text, '🔴 [FIRING:2] HighCPU: 3 alerts, 2 firing, 1 resolved');
  t.equal(message.attachments[0]!.color, '#E01E5A', 'colour of the most severe firing alert');

  const blocks = blocksOf(message);
  t.same(
    blocks.map((block) => block.type),
    ['header', 'section', 'section', 'section', 'section', 'context'],
    'header, counts, one section per alert, footer',
  );
  t.same(blocks[0], { type: 'header', text: { type: 'plain_text', text: '🔴 [FIRING:2] HighCPU', emoji: true } });
  const counts = allText(blocks.slice(1, 2));
  t.match(counts, '*Alerts*\n3');
  t.match(counts, '*Firing*\n2');
  t.match(counts, '*Resolved*\n1');
  t.match(counts, '*Grouped by*\nalertname=HighCPU');

  const sections = blocks.slice(2, 5).map((block) => (block as Extract<SlackBlock, { type: 'section' }>).text!.text);
  t.match(sections[0], '*✅ RESOLVED · critical · HighCPU on web-1 · value 90 · since 2026-03-01T11:57:00Z*');
  t.match(sections[1], '*🟠 FIRING · warning · HighCPU on web-2 · value 91');
  for (const [index, section] of sections.entries()) {
    t.match(section, `summary: CPU above 90% on web-${index + 1}`, `alert ${index + 1} annotation`);
    t.match(section, `*Labels:* agent=web-${index + 1} · alertname=HighCPU`, `alert ${index + 1} labels`);
    t.match(section, `*Tags:* env=prod · rack=r${index + 1}`, `alert ${index + 1} tags`);
  }
  t.match(allText(blocks.slice(-1)), 'group root/team-chat:{alertname="HighCPU"} · receiver team-chat');
});

t.test('slack resolved group is green', async (t) => {
  const message = encodeSlackMessage(groupNotification('team-chat', 2, { resolved: 2 }));
  t.equal(message.attachments[0]!.color, '#2EB67D');
  t.equal(message.text, '✅ [RESOLVED] HighCPU: 2 alerts, 0 firing, 2 resolved');
});

t.test('slack summarises alerts beyond 50 blocks', async (t) => {
  const imitation = await startSlackImitation(t);
  await (await slack(imitation.url)).deliver(groupNotification('team-chat', 120));

  const message = accepted(t, imitation);
  const blocks = blocksOf(message);
  t.equal(blocks.length, SLACK_LIMITS.blocks, 'exactly the block limit');
  const alertSections = blocks.slice(2, -2) as Array<Extract<SlackBlock, { type: 'section' }>>;
  t.equal(alertSections.length, 46, '46 alerts in their own sections');
  t.match(alertSections.at(-1)!.text!.text, 'HighCPU on web-46 ');
  const more = (blocks.at(-2) as Extract<SlackBlock, { type: 'section' }>).text!.text;
  t.match(more, /^\*…and 74 more alerts:\* HighCPU firing on web-47 · HighCPU firing on web-48 · /, 'the rest summed up');
  t.match(more, 'web-120', 'naming every hidden agent that fits');
  t.equal(blocks.at(-1)!.type, 'context', 'footer kept');
});

t.test('slack keeps oversize alerts of a group within limits', async (t) => {
  const imitation = await startSlackImitation(t);
  const oversize = oversizeNotification('team-chat').alert;
  const group = groupNotification('team-chat', 60, { alert: (index) => ({ ...oversize, fingerprint: `fp-${index}`, agentId: `${oversize.agentId}-${index}` }) });
  await (await slack(imitation.url)).deliver(group);

  const message = accepted(t, imitation);
  const blocks = blocksOf(message);
  t.equal(blocks.length, SLACK_LIMITS.blocks);
  for (const block of blocks.filter((candidate) => candidate.type === 'section').slice(1)) {
    const text = (block as Extract<SlackBlock, { type: 'section' }>).text!.text;
    t.ok(text.length <= SLACK_LIMITS.sectionText, `section within 3000: ${text.length}`);
  }
  const first = (blocks[2] as Extract<SlackBlock, { type: 'section' }>).text!.text;
  t.match(first, /\*Tags:\* tag_0=t&lt;/, 'tags shown even when long');
  t.notMatch(first, /&(?!(amp|lt|gt);)/, 'no entity split by a cut');
  t.match(allText(blocks.slice(-2, -1)), /^\*…and 14 more alerts:\*/);
  t.ok(allText(blocks.slice(-2, -1)).endsWith('…'), 'the summary cut with an ellipsis');
});

t.test('slack escapes hostile text in a group', async (t) => {
  const imitation = await startSlackImitation(t);
  const hostile = hostileNotification('team-chat').alert;
  await (await slack(imitation.url)).deliver(groupNotification('team-chat', 2, { alert: (index) => ({ ...hostile, fingerprint: `fp-${index}` }) }));
  const message = accepted(t, imitation);
  const text = allText(blocksOf(message).slice(1));
  t.match(text, 'Disk&lt;Full&gt;&amp;Co on &lt;b&gt;&amp;*_[]()~&gt;#+-=|{}.!', 'rule and agent escaped');
  t.match(text, '*Tags:* emoji=🚀 ✨ · owner=a&amp;b &lt;ops@example.com&gt;', 'tags escaped');
});

t.test('slack imitation rejects broken limits', async (t) => {
  const imitation = await startSlackImitation(t);
  const transport = new SlackTransport({ url: new URL(imitation.url), timeoutMs: 2_000, clock: new ManualClock(T0), receiver: 'team-chat' });

  const message = encodeSlackMessage(sampleNotification('team-chat'));
  (blocksOf(message)[0] as Extract<SlackBlock, { type: 'header' }>).text.text = 'H'.repeat(151);
  const error = await transport.send(message).then(
    () => undefined,
    (caught: unknown) => caught as DeliveryError,
  );
  t.type(error, DeliveryError);
  t.equal(error?.retryable, false, 'a rejected payload is permanent');
  t.equal(error?.status, 400);
  t.match(error?.message, /slack team-chat \(http:\/\/127\.0\.0\.1:\d+\) responded with HTTP 400: invalid_blocks/);
  t.match(imitation.rejections[0], '/attachments/0/blocks/0/text/text must be less than 151 characters, found 151');
  checkNoSecret(t, error!.message);
});

t.test('slack imitation checks each limit', async (t) => {
  const request = (payload: unknown) => ({ method: 'POST', url: SLACK_WEBHOOK_PATH, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
  const cases: Array<[string, unknown, string | undefined]> = [
    ['valid', { text: 'x', blocks: [section('ok')] }, undefined],
    ['no text', {}, 'no_text'],
    ['51 blocks', { blocks: Array.from({ length: 51 }, () => section('x')) }, 'invalid_blocks'],
    ['section text 3001', { blocks: [section('x'.repeat(3_001))] }, 'invalid_blocks'],
    ['11 fields', { blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' })) }] }, 'invalid_blocks'],
    ['field 2001', { blocks: [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'x'.repeat(2_001) }] }] }, 'invalid_blocks'],
    ['11 context elements', { blocks: [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' })) }] }, 'invalid_blocks'],
    ['empty text', { blocks: [section('')] }, 'invalid_blocks'],
    ['mrkdwn header', { blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] }, 'invalid_blocks'],
    ['raw < in mrkdwn', { blocks: [section('a <b> c')] }, 'invalid_blocks'],
    ['raw & in mrkdwn', { blocks: [section('a & b')] }, 'invalid_blocks'],
    ['emoji on mrkdwn', { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x', emoji: true } }] }, 'invalid_blocks'],
    ['bad colour', { attachments: [{ color: 'red', blocks: [section('x')] }] }, 'invalid_attachments'],
    ['not JSON', undefined, 'invalid_payload'],
  ];
  for (const [name, payload, expected] of cases) {
    const received = payload === undefined ? { ...request({}), body: '{' } : request(payload);
    t.equal(checkSlackRequest(received).error, expected, name);
  }
});

t.test('slack 429 is retryable with Retry-After', async (t) => {
  const imitation = await startSlackImitation(t);
  imitation.script.push({ status: 429, headers: { 'Retry-After': '3' }, body: 'rate_limited' });
  const error = await deliveryError(t, await slack(imitation.url));
  t.equal(error.retryable, true);
  t.equal(error.status, 429);
  t.equal(error.retryAfterMs, 3_000);
  t.match(error.message, /HTTP 429: rate_limited/);
  checkNoSecret(t, error.message);
});

t.test('slack 500 is retryable', async (t) => {
  const imitation = await startSlackImitation(t);
  imitation.script.push({ status: 500, body: 'rollup_error' });
  const error = await deliveryError(t, await slack(imitation.url));
  t.equal(error.retryable, true);
  t.equal(error.retryAfterMs, undefined);
  t.match(error.message, /HTTP 500: rollup_error/);
});

t.test('slack revoked webhook is permanent', async (t) => {
  const imitation = await startSlackImitation(t);
  imitation.script.push({ status: 404, body: 'no_service' }, { status: 410, body: 'channel_is_archived' });
  const revoked = await deliveryError(t, await slack(imitation.url));
  t.equal(revoked.retryable, false);
  t.match(revoked.message, /HTTP 404: no_service/);
  const archived = await deliveryError(t, await slack(imitation.url));
  t.equal(archived.retryable, false);
  t.match(archived.message, /HTTP 410: channel_is_archived/);
});

t.test('slack quotes no echoed webhook path', async (t) => {
  const imitation = await startSlackImitation(t);
  imitation.script.push({ status: 403, body: `action_prohibited for ${SLACK_WEBHOOK_PATH}` });
  const error = await deliveryError(t, await slack(imitation.url));
  t.match(error.message, /action_prohibited for \[redacted\]/);
  checkNoSecret(t, error.message);
});

t.test('slack refused connection is retryable', async (t) => {
  const port = await closedPort();
  const error = await deliveryError(t, await slack(`http://127.0.0.1:${port}${SLACK_WEBHOOK_PATH}`));
  t.equal(error.retryable, true);
  t.match(error.message, /slack team-chat \(http:\/\/127\.0\.0\.1:\d+\) could not be reached: ECONNREFUSED/);
  checkNoSecret(t, error.message);
});

t.test('slack webhook URL from a file', async (t) => {
  const imitation = await startSlackImitation(t);
  const directory = mkdtempSync(join(tmpdir(), 'fleetpulse-slack-'));
  const file = join(directory, 'webhook-url');
  writeFileSync(file, `${imitation.url}\n`);
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));

  const config = receiverConfigSchema.parse({ name: 'team-chat', type: 'slack', webhook_url: { file } });
  const channel = await createChannel(config, { logger: silentLogger, clock: new ManualClock(T0), env: {} });
  await channel.deliver(sampleNotification('team-chat'));
  t.equal(imitation.accepted.length, 1, 'trailing line break removed');
});

t.test('slack config keeps the URL out of files', async (t) => {
  const inline = receiverConfigSchema.safeParse({ name: 'team-chat', type: 'slack', webhook_url: 'https://hooks.slack.com/services/T/B/X' });
  t.equal(inline.success, false, 'inline URL rejected');
  t.match(inline.error?.issues[0]?.message, /expected \{ env: NAME \} or \{ file: PATH \}/);
  t.equal(receiverConfigSchema.safeParse({ name: 'team-chat', type: 'slack', webhook_url: { env: 'X' }, channel: '#ops' }).success, false, 'unknown key');
});

t.test('slack config errors name the source only', async (t) => {
  const config = receiverConfigSchema.parse({ name: 'team-chat', type: 'slack', webhook_url: { env: 'SLACK_WEBHOOK_URL' } });
  const context = { logger: silentLogger, clock: new ManualClock(T0) };
  await t.rejects(createChannel(config, { ...context, env: {} }), ChannelConfigError);
  await t.rejects(createChannel(config, { ...context, env: {} }), /webhook_url reads environment variable SLACK_WEBHOOK_URL, which is not set or empty/);

  const bad = createChannel(config, { ...context, env: { SLACK_WEBHOOK_URL: 'not a url s3cr3tSlackPath' } });
  await t.rejects(bad, /receiver team-chat: webhook_url is not a valid URL/);
  await bad.catch((error: Error) => checkNoSecret(t, error.message));

  const fileConfig = receiverConfigSchema.parse({ name: 'team-chat', type: 'slack', webhook_url: { file: '/nonexistent/fleetpulse/webhook' } });
  await t.rejects(createChannel(fileConfig, { ...context, env: {} }), /reads file \/nonexistent\/fleetpulse\/webhook, which cannot be read \(ENOENT\)/);
});
