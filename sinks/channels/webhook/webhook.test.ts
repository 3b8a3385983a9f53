import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ManualClock } from '../../../pipeline/clock/index.js';
import { silentLogger } from '../../../pipeline/log/logger.js';
import type { Notification } from '../../../pipeline/messages/notification.js';
import type { Channel, DeliveryError } from '../channel.js';
import { ChannelConfigError } from '../config-fields.js';
import { createChannel, receiverConfigSchema } from '../registry.js';
import { expectDeliveryError } from '../test-support/delivery.js';
import { type ReceivedRequest, type RequestHandler, closedPort, startLoopbackServer } from '../test-support/loopback-server.js';
import { T0, groupNotification, sampleNotification } from '../test-support/notifications.js';
import type { AlertmanagerPayload, WebhookPayload } from './encode.js';

const TOKEN = 'Bearer s3cr3t-token-value';

const notification = sampleNotification('oncall', {
  sequence: 1,
  labels: { alertname: 'HighCPU', agent: 'web-1' },
  tags: { env: 'prod' },
  annotations: { summary: 'CPU above 90%' },
});

/** Starts a loopback receiver whose URL has a path and a token in the query, the parts that error messages must not show. */
async function startServer(t: Test, handler: RequestHandler): Promise<{ url: string; requests: ReceivedRequest[] }> {
  const server = await startLoopbackServer(t, handler);
  return { url: `${server.origin}/hooks/alert?token=url-secret`, requests: server.requests };
}

async function webhook(url: string, extra: Record<string, unknown> = {}, env: Record<string, string> = { ONCALL_AUTHORIZATION: TOKEN }, clock = new ManualClock(T0)): Promise<Channel> {
  const config = receiverConfigSchema.parse({
    name: 'oncall',
    type: 'webhook',
    url,
    timeout: '2s',
    headers: { Authorization: { env: 'ONCALL_AUTHORIZATION' }, 'X-Team': 'platform' },
    ...extra,
  });
  return createChannel(config, { logger: silentLogger, clock, env });
}

const deliveryError = (t: Test, channel: Channel): Promise<DeliveryError> => expectDeliveryError(t, channel, notification);

function checkNoSecrets(t: Test, error: DeliveryError): void {
  t.notMatch(error.message, /s3cr3t/, 'no header value in the message');
  t.notMatch(error.message, /url-secret|\/hooks\/alert/, 'no URL path or query in the message');
}

t.test('webhook posts the notification', async (t) => {
  const server = await startServer(t, (_request, response) => response.writeHead(204).end());
  await (await webhook(server.url)).deliver(notification);

  t.equal(server.requests.length, 1);
  const [request] = server.requests;
  t.equal(request!.method, 'POST');
  t.equal(request!.url, '/hooks/alert?token=url-secret');
  t.equal(request!.headers['content-type'], 'application/json');
  t.equal(request!.headers['idempotency-key'], 'fp-cpu-web1:1:oncall');
  t.equal(request!.headers.authorization, TOKEN, 'header value read from the environment');
  t.equal(request!.headers['x-team'], 'platform');
  t.same(JSON.parse(request!.body), {
    version: 1,
    idempotencyKey: 'fp-cpu-web1:1:oncall',
    receiver: 'oncall',
    status: 'firing',
    groupLabels: {},
    alert: notification.alert,
    alerts: [notification.alert],
    truncatedAlerts: 0,
  });
});

t.test('webhook native payload carries the group', async (t) => {
  const server = await startServer(t, (_request, response) => response.writeHead(204).end());
  const group = groupNotification('oncall', 3, { resolved: 1 });
  await (await webhook(server.url)).deliver(group);

  const request = server.requests[0]!;
  t.equal(request.headers['idempotency-key'], 'group-key-3:oncall');
  const payload = JSON.parse(request.body) as WebhookPayload;
  t.equal(payload.idempotencyKey, 'group-key-3:oncall', 'idempotency key in the body too');
  t.equal(payload.status, 'firing', 'firing while any alert fires');
  t.equal(payload.groupKey, 'root/oncall:{alertname="HighCPU"}');
  t.same(payload.groupLabels, { alertname: 'HighCPU' });
  t.same(payload.alerts, group.alerts, 'every alert as the router sent it');
  t.same(payload.alert, group.alerts![0], 'alert is the first of the group');
  t.same(payload.alerts.map((alert) => alert.tags.rack), ['r1', 'r2', 'r3'], "each alert's tags");
  t.equal(payload.truncatedAlerts, 0);
});

t.test('webhook Alertmanager shape of a group', async (t) => {
  const server = await startServer(t, (_request, response) => response.writeHead(200).end());
  const group = groupNotification('oncall', 3, { resolved: 1 });
  await (await webhook(server.url, { format: 'alertmanager', external_url: 'https://fleetpulse.example.com' })).deliver(group);

  const payload = JSON.parse(server.requests[0]!.body) as AlertmanagerPayload;
  t.same(Object.keys(payload).sort(), ['alerts', 'commonAnnotations', 'commonLabels', 'externalURL', 'groupKey', 'groupLabels', 'receiver', 'status', 'truncatedAlerts', 'version']);
  t.equal(payload.version, '4');
  t.equal(payload.groupKey, 'root/oncall:{alertname="HighCPU"}', "the router's group key");
  t.equal(payload.status, 'firing');
  t.equal(payload.receiver, 'oncall');
  t.same(payload.groupLabels, { alertname: 'HighCPU' });
  t.same(payload.commonLabels, { env: 'prod', alertname: 'HighCPU' }, 'labels and tags all alerts share');
  t.same(payload.commonAnnotations, {}, 'each alert has its own summary');
  t.equal(payload.externalURL, 'https://fleetpulse.example.com');
  t.equal(payload.truncatedAlerts, 0);
  t.same(
    payload.alerts.map((alert) => [alert.fingerprint, alert.status, alert.endsAt]),
    [
      ['fp-cpu-web-1', 'resolved', '2026-03-01T12:01:00.000Z'],
      ['fp-cpu-web-2', 'firing', '0001-01-01T00:00:00Z'],
      ['fp-cpu-web-3', 'firing', '0001-01-01T00:00:00Z'],
    ],
  );
  t.same(payload.alerts[1], {
    status: 'firing',
    labels: { env: 'prod', rack: 'r2', alertname: 'HighCPU', agent: 'web-2' },
    annotations: { summary: 'CPU above 90% on web-2' },
    startsAt: '2026-03-01T11:57:00.000Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: 'fp-cpu-web-2',
  });
});

t.test('webhook Alertmanager shape when the group resolved', async (t) => {
  const server = await startServer(t, (_request, response) => response.writeHead(200).end());
  await (await webhook(server.url, { format: 'alertmanager' })).deliver(groupNotification('oncall', 2, { resolved: 2 }));
  const payload = JSON.parse(server.requests[0]!.body) as AlertmanagerPayload;
  t.equal(payload.status, 'resolved');
  t.same(payload.alerts.map((alert) => alert.status), ['resolved', 'resolved']);
});

t.test('webhook max_alerts truncates large groups', async (t) => {
  const server = await startServer(t, (_request, response) => response.writeHead(204).end());
  const group = groupNotification('oncall', 250);

  await (await webhook(server.url, { max_alerts: 100 })).deliver(group);
  const native = JSON.parse(server.requests[0]!.body) as WebhookPayload;
  t.equal(native.alerts.length, 100, 'the first 100 alerts');
  t.equal(native.alerts[99]!.agentId, 'web-100');
  t.equal(native.truncatedAlerts, 150, 'the rest counted');

  await (await webhook(server.url, { max_alerts: 100, format: 'alertmanager' })).deliver(group);
  const alertmanager = JSON.parse(server.requests[1]!.body) as AlertmanagerPayload;
  t.equal(alertmanager.alerts.length, 100);
  t.equal(alertmanager.truncatedAlerts, 150);
  t.same(alertmanager.commonLabels, { env: 'prod', alertname: 'HighCPU' });

  await (await webhook(server.url)).deliver(group);
  const unlimited = JSON.parse(server.requests[2]!.body) as WebhookPayload;
  t.equal(unlimited.alerts.length, 250, 'max_alerts 0, the default, sends every alert');
  t.equal(unlimited.truncatedAlerts, 0);
});

t.test('webhook 503 is retryable with Retry-After', async (t) => {
  const server = await startServer(t, (_request, response) => response.writeHead(503, { 'Retry-After': '7' }).end('overloaded'));
  const error = await deliveryError(t, await webhook(server.url));
  t.equal(error.retryable, true);
  t.equal(error.status, 503);
  t.equal(error.retryAfterMs, 7_000);
  t.match(error.message, /webhook oncall \(http:\/\/127\.0\.0\.1:\d+\) responded with HTTP 503 Service Unavailable: overloaded/);
  checkNoSecrets(t, error);
});

t.test('webhook 429 reads an HTTP-date Retry-After', async (t) => {
  const retryAt = new Date(T0 + 90_000).toUTCString();
  const server = await startServer(t, (_request, response) => response.writeHead(429, { 'Retry-After': retryAt }).end());
  const error = await deliveryError(t, await webhook(server.url));
  t.equal(error.retryable, true);
  t.equal(error.retryAfterMs, 90_000, 'relative to the injected clock');
});

t.test('webhook 4xx is permanent', async (t) => {
  // The receiver echoes the request headers, as some debugging endpoints do.
  const server = await startServer(t, (request, response) => response.writeHead(400).end(`invalid payload; you sent authorization=${String(request.headers.authorization)}`));
  const error = await deliveryError(t, await webhook(server.url));
  t.equal(error.retryable, false);
  t.equal(error.status, 400);
  t.equal(error.retryAfterMs, undefined);
  t.match(error.message, /HTTP 400 Bad Request: invalid payload; you sent authorization=\[redacted\]/);
  checkNoSecrets(t, error);
});

t.test('webhook does not follow redirects', async (t) => {
  const server = await startServer(t, (request, response) => {
    if (request.url === '/elsewhere') response.writeHead(204).end();
    else response.writeHead(302, { Location: '/elsewhere' }).end();
  });
  const error = await deliveryError(t, await webhook(server.url));
  t.equal(error.retryable, false);
  t.match(error.message, /HTTP 302.*redirects are not followed/);
  t.equal(server.requests.length, 1, 'the redirect target was never requested');
});

t.test('webhook timeout is retryable', async (t) => {
  // Never responds; the teardown closes the open connection.
  const server = await startServer(t, () => {});
  const error = await deliveryError(t, await webhook(server.url, { timeout: '200ms' }));
  t.equal(error.retryable, true);
  t.match(error.message, /timed out after 200 ms/);
  checkNoSecrets(t, error);
});

t.test('webhook refused connection is retryable', async (t) => {
  const port = await closedPort();
  const error = await deliveryError(t, await webhook(`http://127.0.0.1:${port}/hooks/alert?token=url-secret`));
  t.equal(error.retryable, true);
  t.match(error.message, /could not be reached: ECONNREFUSED/);
  checkNoSecrets(t, error);
});

t.test('webhook URL can come from the environment', async (t) => {
  const server = await startServer(t, (_request, response) => response.writeHead(200).end('ok'));
  const channel = await webhook('', { url: { env: 'ONCALL_URL' } }, { ONCALL_URL: server.url, ONCALL_AUTHORIZATION: TOKEN });
  await channel.deliver(notification);
  t.equal(server.requests.length, 1);
});

t.test('webhook checks a URL from the environment', async (t) => {
  const fromEnv = (url: string) => webhook('', { url: { env: 'ONCALL_URL' } }, { ONCALL_URL: url, ONCALL_AUTHORIZATION: TOKEN });
  await t.rejects(fromEnv('ftp://hooks.example.com/alert'), { message: 'receiver oncall: url must use http or https, found ftp:' });
  await t.rejects(fromEnv('https://user:s3cr3t@hooks.example.com/alert'), { message: 'receiver oncall: url must not contain a user or password' });
  await t.rejects(fromEnv('not a URL s3cr3t'), { message: 'receiver oncall: url is not a valid URL' }, 'the value is not quoted');
});

t.test('webhook missing variable names it only', async (t) => {
  await t.rejects(webhook('http://127.0.0.1:9/hook', {}, {}), ChannelConfigError);
  await t.rejects(webhook('http://127.0.0.1:9/hook', {}, {}), /header Authorization reads environment variable ONCALL_AUTHORIZATION, which is not set or empty/);
});

t.test('webhook config rejects bad values', async (t) => {
  const base = { name: 'oncall', type: 'webhook', url: 'https://hooks.example.com/alert' };
  t.equal(receiverConfigSchema.safeParse(base).success, true, 'minimal config');
  t.equal(receiverConfigSchema.safeParse({ ...base, url: 'ftp://hooks.example.com' }).success, false, 'non-http scheme');
  t.equal(receiverConfigSchema.safeParse({ ...base, url: 'https://user:pass@hooks.example.com' }).success, false, 'credentials in the URL');
  t.equal(receiverConfigSchema.safeParse({ ...base, headers: { 'Idempotency-Key': 'x' } }).success, false, 'reserved header');
  t.equal(receiverConfigSchema.safeParse({ ...base, headers: { 'Bad Header': 'x' } }).success, false, 'invalid header name');
  t.equal(receiverConfigSchema.safeParse({ ...base, headers: { 'X-A': 'line\r\nbreak' } }).success, false, 'line break in a value');
  t.equal(receiverConfigSchema.safeParse({ ...base, timeout: 'soon' }).success, false, 'timeout not a duration');
  t.equal(receiverConfigSchema.safeParse({ ...base, format: 'opsgenie' }).success, false, 'unknown format');
  t.equal(receiverConfigSchema.safeParse({ ...base, format: 'alertmanager', external_url: 'not a url' }).success, false, 'external_url not a URL');
  t.equal(receiverConfigSchema.safeParse({ ...base, max_alerts: -1 }).success, false, 'negative max_alerts');
  t.equal(receiverConfigSchema.safeParse({ ...base, max_alerts: 2.5 }).success, false, 'fractional max_alerts');
});

t.test('webhook sends the Alertmanager shape', async (t) => {
  const server = await startServer(t, (_request, response) => response.writeHead(200).end());
  const tagged: Notification = { ...notification, alert: { ...notification.alert, tags: { env: 'prod', agent: 'tag-loses' } } };
  await (await webhook(server.url, { format: 'alertmanager', external_url: 'https://fleetpulse.example.com' })).deliver(tagged);

  const request = server.requests[0]!;
  t.equal(request.headers['idempotency-key'], 'fp-cpu-web1:1:oncall', 'idempotency key still in the header');
  const labels = { env: 'prod', alertname: 'HighCPU', agent: 'web-1' };
  t.same(JSON.parse(request.body), {
    version: '4',
    groupKey: '{}:{fingerprint="fp-cpu-web1"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'oncall',
    groupLabels: { alertname: 'HighCPU' },
    commonLabels: labels,
    commonAnnotations: { summary: 'CPU above 90%' },
    externalURL: 'https://fleetpulse.example.com',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary: 'CPU above 90%' },
        startsAt: '2026-03-01T11:57:00.000Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: 'fp-cpu-web1',
      },
    ],
  });
});

t.test('webhook Alertmanager shape when resolved', async (t) => {
  const server = await startServer(t, (_request, response) => response.writeHead(200).end());
  const resolved: Notification = { ...notification, alert: { ...notification.alert, state: 'resolved', at: T0 + 60_000 } };
  await (await webhook(server.url, { format: 'alertmanager' })).deliver(resolved);

  const payload = JSON.parse(server.requests[0]!.body) as { status: string; externalURL: string; alerts: Array<{ status: string; endsAt: string; labels: Record<string, string> }> };
  t.equal(payload.status, 'resolved');
  t.equal(payload.alerts[0]!.status, 'resolved');
  t.equal(payload.alerts[0]!.endsAt, '2026-03-01T12:01:00.000Z');
  t.equal(payload.externalURL, '');
  t.equal(payload.alerts[0]!.labels.env, 'prod', 'tags become labels');
});

t.test('webhook URL from a file', async (t) => {
  const server = await startServer(t, (_request, response) => response.writeHead(204).end());
  const directory = mkdtempSync(join(tmpdir(), 'fleetpulse-webhook-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  writeFileSync(join(directory, 'url'), `${server.url}\n`);
  writeFileSync(join(directory, 'authorization'), TOKEN);

  const channel = await webhook('', { url: { file: join(directory, 'url') }, headers: { Authorization: { file: join(directory, 'authorization') } } }, {});
  await channel.deliver(notification);
  t.equal(server.requests[0]!.headers.authorization, TOKEN);
});
