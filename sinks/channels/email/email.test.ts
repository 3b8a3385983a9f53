import t, { type Test } from 'tap';
import { ManualClock } from '../../../pipeline/clock/index.js';
import { silentLogger } from '../../../pipeline/log/logger.js';
import type { Channel, DeliveryError } from '../channel.js';
import { ChannelConfigError } from '../config-fields.js';
import { createChannel, receiverConfigSchema } from '../registry.js';
import { expectDeliveryError } from '../test-support/delivery.js';
import { closedPort } from '../test-support/loopback-server.js';
import { EMOJI_ANNOTATION, HOSTILE_AGENT, T0, groupNotification, hostileNotification, sampleNotification } from '../test-support/notifications.js';
import { type MimeEntity, type SmtpCapture, parseMime, startSmtpCapture } from '../test-support/smtp-capture.js';
import { EMAIL_MAX_ALERTS } from './encode.js';

const PASSWORD = 'smtp-S3cr3t-password';
const CREDENTIALS = { user: 'alerts@example.com', password: PASSWORD };

async function email(port: number, extra: Record<string, unknown> = {}, env: Record<string, string> = { SMTP_PASSWORD: PASSWORD }): Promise<Channel> {
  const config = receiverConfigSchema.parse({
    name: 'oncall-mail',
    type: 'email',
    host: '127.0.0.1',
    port,
    auth: { user: CREDENTIALS.user, password: { env: 'SMTP_PASSWORD' } },
    from: 'Fleet Alerts <alerts@example.com>',
    to: ['oncall@example.com', 'sre@example.com'],
    cc: ['archive@example.com'],
    timeout: '5s',
    ...extra,
  });
  return createChannel(config, { logger: silentLogger, clock: new ManualClock(T0), env });
}

const deliveryError = (t: Test, channel: Channel): Promise<DeliveryError> => expectDeliveryError(t, channel, sampleNotification('oncall-mail'));

/** Parses the one received message and returns it with its text and HTML parts. */
function received(t: Test, capture: SmtpCapture): { mail: MimeEntity; text: string; html: string } {
  t.equal(capture.messages.length, 1, 'one message received');
  const mail = parseMime(capture.messages[0]!.raw);
  t.match(mail.header('content-type'), /^multipart\/alternative;/, 'text and HTML alternatives');
  t.equal(mail.parts.length, 2, 'two parts');
  const [textPart, htmlPart] = mail.parts;
  t.match(textPart!.header('content-type'), /^text\/plain; charset=utf-8/i);
  t.match(htmlPart!.header('content-type'), /^text\/html; charset=utf-8/i);
  return { mail, text: textPart!.body, html: htmlPart!.body };
}

t.test('email sends text and HTML parts', async (t) => {
  const capture = await startSmtpCapture(t, CREDENTIALS);
  await (await email(capture.port)).deliver(sampleNotification('oncall-mail'));

  t.same(capture.logins, [{ user: 'alerts@example.com', ok: true }], 'authenticated');
  t.equal(capture.messages[0]!.envelopeFrom, 'alerts@example.com');
  t.same(capture.messages[0]!.envelopeTo, ['oncall@example.com', 'sre@example.com', 'archive@example.com']);

  const { mail, text, html } = received(t, capture);
  t.equal(mail.header('subject'), '[FIRING] critical HighCPU on web-1');
  t.equal(mail.header('from'), 'Fleet Alerts <alerts@example.com>');
  t.equal(mail.header('to'), 'oncall@example.com, sre@example.com');
  t.equal(mail.header('cc'), 'archive@example.com');
  t.equal(mail.header('x-fleetpulse-fingerprint'), 'fp-cpu-web1');
  t.equal(mail.header('x-fleetpulse-idempotency-key'), 'fp-cpu-web1:3:oncall-mail');
  t.match(mail.header('message-id'), /^<[0-9a-f]{32}@example\.com>$/);
  t.match(mail.header('references'), /^<alert-[0-9a-f]{32}@example\.com>$/);

  t.match(text, 'FIRING: HighCPU on web-1\n');
  t.match(text, 'Severity: critical\n');
  t.match(text, 'Value: 97.25\n');
  t.match(text, 'Active since: 2026-03-01T11:57:00Z\n');
  t.match(text, '  summary: CPU above 90% for 3m\n');
  t.match(text, 'Labels\n  agent=web-1\n  alertname=HighCPU\n  core=0\n');
  t.match(text, 'Tags\n  env=prod\n  team=platform\n');

  t.match(html, '<h2 style="color:#C62828">FIRING: HighCPU</h2>');
  t.match(html, '<th align="left" style="padding:2px 12px 2px 0;vertical-align:top">Agent</th><td style="padding:2px 12px 2px 0;vertical-align:top">web-1</td>');
  t.match(html, '<h3>Tags</h3>');
  t.match(html, '>team</th><td style="padding:2px 12px 2px 0;vertical-align:top">platform</td>');
});

t.test('email resolved keeps the thread', async (t) => {
  const capture = await startSmtpCapture(t, CREDENTIALS);
  const channel = await email(capture.port);
  await channel.deliver(sampleNotification('oncall-mail'));
  await channel.deliver(sampleNotification('oncall-mail', { state: 'resolved', sequence: 4, at: T0 + 60_000 }));

  const [firing, resolved] = capture.messages.map((message) => parseMime(message.raw));
  t.equal(resolved!.header('subject'), '[RESOLVED] critical HighCPU on web-1');
  t.equal(resolved!.header('references'), firing!.header('references'), 'same thread');
  t.not(resolved!.header('message-id'), firing!.header('message-id'), 'new message');
  t.match(resolved!.parts[0]!.body, 'Resolved at: 2026-03-01T12:01:00Z');
});

t.test('email escapes hostile text in HTML', async (t) => {
  const capture = await startSmtpCapture(t, CREDENTIALS);
  await (await email(capture.port)).deliver(hostileNotification('oncall-mail'));

  const { mail, text, html } = received(t, capture);
  t.equal(mail.header('subject'), `[FIRING] critical Disk<Full>&Co on ${HOSTILE_AGENT}`, 'subject as written');

  t.match(html, '<td style="padding:2px 12px 2px 0;vertical-align:top">&lt;b&gt;&amp;*_[]()~&gt;#+-=|{}.!</td>', 'agent escaped');
  t.match(html, 'Disk 🔥 almost full 💾\nline two\n\nline four with `code` &amp; &lt;tags&gt;', 'annotation escaped, emoji and line breaks kept');
  t.match(html, '&lt;/code&gt;&lt;i&gt;not a tag&lt;/i&gt; &amp;amp; &amp;#x26;', 'markup shown as text');
  t.match(html, 'a&amp;b &lt;ops@example.com&gt;', 'tag escaped');
  t.notMatch(html, HOSTILE_AGENT, 'no raw agent name in HTML');
  t.notMatch(html, '<i>not a tag</i>', 'no raw markup in HTML');

  t.match(text, `Disk<Full>&Co on ${HOSTILE_AGENT}`, 'text part as written');
  t.match(text, '  summary: Disk 🔥 almost full 💾\n    line two\n    \n    line four', 'continuation lines indented');
});

t.test('email lists every alert of a group', async (t) => {
  const capture = await startSmtpCapture(t, CREDENTIALS);
  await (await email(capture.port)).deliver(groupNotification('oncall-mail', 3, { resolved: 1 }));

  const { mail, text, html } = received(t, capture);
  t.equal(mail.header('subject'), '[FIRING:2] HighCPU: 3 alerts, 2 firing, 1 resolved');
  t.equal(mail.header('x-fleetpulse-group-key'), 'root/oncall-mail:{alertname="HighCPU"}');
  t.equal(mail.header('x-fleetpulse-idempotency-key'), 'group-key-3:oncall-mail');
  t.equal(mail.header('x-fleetpulse-fingerprint'), undefined, 'no single fingerprint for a group');
  t.match(mail.header('references'), /^<group-[0-9a-f]{32}@example\.com>$/);

  t.match(text, 'FIRING:2: HighCPU\n3 alerts: 2 firing, 1 resolved\nGrouped by: alertname=HighCPU\n');
  t.match(text, '--- Alert 1 of 3 ---\nRESOLVED: HighCPU on web-1\n');
  t.match(text, '--- Alert 3 of 3 ---\nFIRING: HighCPU on web-3\n');
  for (let index = 1; index <= 3; index++) {
    t.match(text, `  summary: CPU above 90% on web-${index}\n`, `alert ${index} annotation in text`);
    t.match(text, `Tags\n  env=prod\n  rack=r${index}\n`, `alert ${index} tags in text`);
    t.match(html, `<h3 style="color:${index === 1 ? '#2E7D32' : index === 2 ? '#EF6C00' : '#C62828'}">${index === 1 ? 'RESOLVED' : 'FIRING'}: HighCPU on web-${index}</h3>`, `alert ${index} heading in HTML`);
    t.match(html, `>rack</th><td style="padding:2px 12px 2px 0;vertical-align:top">r${index}</td>`, `alert ${index} tags in HTML`);
  }
  t.match(text, 'Fingerprint fp-cpu-web-2, transition 1\n');
  t.match(text, /\nGroup root\/oncall-mail:\{alertname="HighCPU"\}, receiver oncall-mail\n$/);
  t.match(html, '<h2 style="color:#C62828">FIRING:2: HighCPU</h2>');
  t.match(html, '<h4>Tags</h4>');
});

t.test('email threads the notifications of a group', async (t) => {
  const capture = await startSmtpCapture(t, CREDENTIALS);
  const channel = await email(capture.port);
  await channel.deliver(groupNotification('oncall-mail', 2));
  await channel.deliver({ ...groupNotification('oncall-mail', 3, { resolved: 3 }), idempotencyKey: 'group-key-resolved:oncall-mail' });

  const [firing, resolved] = capture.messages.map((message) => parseMime(message.raw));
  t.equal(resolved!.header('subject'), '[RESOLVED] HighCPU: 3 alerts, 0 firing, 3 resolved');
  t.equal(resolved!.header('references'), firing!.header('references'), 'same thread');
  t.not(resolved!.header('message-id'), firing!.header('message-id'), 'new message');
});

t.test('email names alerts beyond its limit', async (t) => {
  const capture = await startSmtpCapture(t, CREDENTIALS);
  await (await email(capture.port)).deliver(groupNotification('oncall-mail', EMAIL_MAX_ALERTS + 30));

  const { text, html } = received(t, capture);
  t.equal((text.match(/^--- Alert \d+ of 130 ---$/gm) ?? []).length, EMAIL_MAX_ALERTS, `${EMAIL_MAX_ALERTS} alerts in full`);
  t.match(text, `--- Alert 100 of 130 ---\nFIRING: HighCPU on web-100\n`);
  t.notMatch(text, 'FIRING: HighCPU on web-101', 'the rest not in full');
  t.match(text, '\nand 30 more alerts: HighCPU firing on web-101, HighCPU firing on web-102, ');
  t.match(text, 'HighCPU firing on web-130\n', 'naming each of them');
  t.equal((html.match(/<h3 /g) ?? []).length, EMAIL_MAX_ALERTS, 'the HTML part too');
  t.match(html, '<p>and 30 more alerts: HighCPU firing on web-101, ');
});

t.test('email escapes hostile text in a group', async (t) => {
  const capture = await startSmtpCapture(t, CREDENTIALS);
  const hostile = hostileNotification('oncall-mail').alert;
  await (await email(capture.port)).deliver(groupNotification('oncall-mail', 2, { alert: (index) => ({ ...hostile, fingerprint: `fp-${index}` }) }));

  const { html, text } = received(t, capture);
  t.match(html, '<td style="padding:2px 12px 2px 0;vertical-align:top">&lt;b&gt;&amp;*_[]()~&gt;#+-=|{}.!</td>', 'agent escaped');
  t.match(html, 'a&amp;b &lt;ops@example.com&gt;', 'tag escaped');
  t.notMatch(html, HOSTILE_AGENT, 'no raw agent name in HTML');
  t.notMatch(html, '<i>not a tag</i>', 'no raw markup in HTML');
  t.match(text, `Disk<Full>&Co on ${HOSTILE_AGENT}`, 'text part as written');
});

t.test('email sends without auth', async (t) => {
  const capture = await startSmtpCapture(t);
  const config = receiverConfigSchema.parse({ name: 'oncall-mail', type: 'email', host: '127.0.0.1', port: capture.port, from: 'alerts@example.com', to: ['oncall@example.com'] });
  const channel = await createChannel(config, { logger: silentLogger, clock: new ManualClock(T0), env: {} });
  await channel.deliver(sampleNotification('oncall-mail'));
  t.equal(capture.messages.length, 1);
  t.same(capture.logins, []);
  t.equal(parseMime(capture.messages[0]!.raw).header('cc'), undefined, 'no empty Cc header');
});

t.test('email wrong password is permanent', async (t) => {
  const capture = await startSmtpCapture(t, { user: CREDENTIALS.user, password: 'another-password' });
  const error = await deliveryError(t, await email(capture.port));
  t.equal(error.retryable, false);
  t.match(error.message, /^email oncall-mail \(smtp 127\.0\.0\.1:\d+\) failed \(EAUTH\): .*535/);
  t.notMatch(error.message, /S3cr3t/, 'no password');
  t.same(capture.logins, [{ user: CREDENTIALS.user, ok: false }]);
});

t.test('email 451 is retryable', async (t) => {
  const capture = await startSmtpCapture(t, CREDENTIALS);
  capture.rejectData.push({ code: 451, text: 'Requested action aborted: local error in processing' });
  const error = await deliveryError(t, await email(capture.port));
  t.equal(error.retryable, true);
  t.match(error.message, /451/);
});

t.test('email 550 is permanent', async (t) => {
  const capture = await startSmtpCapture(t, CREDENTIALS);
  capture.rejectData.push({ code: 550, text: 'Mailbox unavailable' });
  const error = await deliveryError(t, await email(capture.port));
  t.equal(error.retryable, false);
  t.match(error.message, /550/);
});

t.test('email refused connection is retryable', async (t) => {
  const port = await closedPort();
  const error = await deliveryError(t, await email(port));
  t.equal(error.retryable, true);
  t.match(error.message, /email oncall-mail \(smtp 127\.0\.0\.1:\d+\) failed \((ESOCKET|ECONNECTION)\)/);
});

t.test('email require_tls rejects plain text', async (t) => {
  const capture = await startSmtpCapture(t, CREDENTIALS);
  const error = await deliveryError(t, await email(capture.port, { require_tls: true }));
  t.equal(error.retryable, false, 'the server will not start offering STARTTLS');
  t.same(capture.logins, [], 'the password was never sent');
  t.equal(capture.messages.length, 0);
});

t.test('email config checks values', async (t) => {
  const base = { name: 'oncall-mail', type: 'email', host: 'smtp.example.com', from: 'alerts@example.com', to: ['oncall@example.com'] };
  t.equal(receiverConfigSchema.safeParse(base).success, true, 'minimal config');
  t.equal(receiverConfigSchema.safeParse({ ...base, to: [] }).success, false, 'no recipient');
  t.equal(receiverConfigSchema.safeParse({ ...base, to: ['not an address'] }).success, false, 'bad address');
  t.equal(receiverConfigSchema.safeParse({ ...base, from: 'A <a@example.com>\r\nBcc: x@example.com' }).success, false, 'header injection');
  t.equal(receiverConfigSchema.safeParse({ ...base, auth: { user: 'a', password: 'inline' } }).success, false, 'inline password');
  t.equal(receiverConfigSchema.safeParse({ ...base, auth: { user: 'a', password: { file: '/run/secrets/smtp' } } }).success, true, 'password from a file');

  const config = receiverConfigSchema.parse({ ...base, auth: { user: { env: 'SMTP_USER' }, password: { env: 'SMTP_PASSWORD' } } });
  await t.rejects(createChannel(config, { logger: silentLogger, clock: new ManualClock(T0), env: { SMTP_PASSWORD: PASSWORD } }), ChannelConfigError);
  await t.rejects(
    createChannel(config, { logger: silentLogger, clock: new ManualClock(T0), env: { SMTP_USER: 'a' } }),
    /auth\.password reads environment variable SMTP_PASSWORD, which is not set or empty/,
  );
});

t.test('email annotation survives encoding', async (t) => {
  const capture = await startSmtpCapture(t, CREDENTIALS);
  await (await email(capture.port)).deliver(sampleNotification('oncall-mail', { annotations: { summary: EMOJI_ANNOTATION } }));
  const { text } = received(t, capture);
  t.match(text, 'Disk 🔥 almost full 💾');
});
