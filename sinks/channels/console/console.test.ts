import t from 'tap';
import { ManualClock } from '../../../pipeline/clock/index.js';
import type { Notification } from '../../../pipeline/messages/notification.js';
import type { Channel } from '../channel.js';
import { createChannel, receiverConfigSchema } from '../registry.js';
import { captureLog } from '../test-support/log-capture.js';
import { groupNotification } from '../test-support/notifications.js';
import { CONSOLE_MAX_ALERTS } from './encode.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');

const notification: Notification = {
  version: 1,
  idempotencyKey: 'fp-disk-db1:2:log',
  receiver: 'log',
  createdAt: T0,
  alert: {
    version: 1,
    fingerprint: 'fp-disk-db1',
    sequence: 2,
    rule: 'DiskFull',
    state: 'resolved',
    severity: 'warning',
    agentId: 'db-1',
    labels: { alertname: 'DiskFull', agent: 'db-1', mount: '/data' },
    tags: { owner_email: 'dba@example.com' },
    annotations: { summary: 'reset password hunter2 on db-1' },
    notify: ['log'],
    value: 61.5,
    activeAt: T0 - 600_000,
    at: T0,
  },
};

/** Builds a console channel whose log lines are collected in `raw` and parsed in `lines`. */
async function consoleChannel(): Promise<{ channel: Channel; lines: Array<Record<string, unknown>>; raw: string[] }> {
  const { logger, lines: raw } = captureLog('info');
  const channel = await createChannel(receiverConfigSchema.parse({ name: 'log', type: 'console' }), { logger, clock: new ManualClock(T0), env: {} });
  return {
    channel,
    raw,
    get lines() {
      return raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
}

t.test('console channel logs at warn level', async (t) => {
  const log = await consoleChannel();
  await log.channel.deliver(notification);
  const { lines, raw } = log;

  t.equal(log.channel.type, 'console');
  t.equal(lines.length, 1, 'one line');
  const line = lines[0]!;
  t.equal(line.level, 40, 'pino warn level');
  t.equal(line.msg, 'alert DiskFull resolved on db-1');
  t.match(line, {
    component: 'notifier',
    channel: 'console',
    receiver: 'log',
    idempotencyKey: 'fp-disk-db1:2:log',
    status: 'resolved',
    alertCount: 1,
    firing: 0,
    resolved: 1,
    omittedAlerts: 0,
  });
  t.same(line.alerts, [
    {
      fingerprint: 'fp-disk-db1',
      sequence: 2,
      state: 'resolved',
      rule: 'DiskFull',
      severity: 'warning',
      agentId: 'db-1',
      value: 61.5,
      labels: { alertname: 'DiskFull', agent: 'db-1', mount: '/data' },
      tags: { owner_email: 'dba@example.com' },
    },
  ]);
  t.notMatch(raw[0]!, /hunter2/, 'annotations stay out of the log');
  t.equal(raw[0]!.split('"receiver":').length - 1, 1, 'the receiver field appears once');
});

t.test('console channel logs a group in one line', async (t) => {
  const log = await consoleChannel();
  await log.channel.deliver(groupNotification('log', 3, { resolved: 1 }));

  t.equal(log.lines.length, 1, 'one line for the group');
  const line = log.lines[0]!;
  t.equal(line.msg, 'alert group HighCPU firing: 3 alerts, 2 firing, 1 resolved');
  t.match(line, { groupKey: 'root/log:{alertname="HighCPU"}', groupLabels: { alertname: 'HighCPU' }, status: 'firing', alertCount: 3, firing: 2, resolved: 1, omittedAlerts: 0 });
  const alerts = line.alerts as Array<{ agentId: string; state: string; tags: Record<string, string> }>;
  t.same(
    alerts.map((alert) => [alert.agentId, alert.state]),
    [
      ['web-1', 'resolved'],
      ['web-2', 'firing'],
      ['web-3', 'firing'],
    ],
  );
  t.same(alerts[2]!.tags, { env: 'prod', rack: 'r3' }, "each alert's tags");
});

t.test('console channel counts alerts beyond its limit', async (t) => {
  const log = await consoleChannel();
  await log.channel.deliver(groupNotification('log', CONSOLE_MAX_ALERTS + 40));

  const line = log.lines[0]!;
  t.equal((line.alerts as unknown[]).length, CONSOLE_MAX_ALERTS, `the first ${CONSOLE_MAX_ALERTS} listed`);
  t.equal(line.omittedAlerts, 40, 'the rest counted');
  t.equal(line.alertCount, CONSOLE_MAX_ALERTS + 40);
  t.match(line.msg, /140 alerts, 140 firing/);
});

t.test('console config rejects unknown keys', async (t) => {
  const result = receiverConfigSchema.safeParse({ name: 'log', type: 'console', level: 'error' });
  t.equal(result.success, false);
});
