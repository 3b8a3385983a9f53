import { Writable } from 'node:stream';
import t from 'tap';
import { ManualClock } from '../../../pipeline/clock/index.js';
import { createLogger } from '../../../pipeline/log/logger.js';
import type { Notification } from '../../../pipeline/messages/notification.js';
import { createChannel, receiverConfigSchema } from '../registry.js';

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

t.test('console channel logs at warn level', async (t) => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'info', component: 'notifier', destination });
  const channel = await createChannel(receiverConfigSchema.parse({ name: 'log', type: 'console' }), { logger, clock: new ManualClock(T0), env: {} });

  t.equal(channel.type, 'console');
  await channel.deliver(notification);

  t.equal(lines.length, 1, 'one line');
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  t.equal(line.level, 40, 'pino warn level');
  t.equal(line.msg, 'alert DiskFull resolved on db-1');
  t.match(line, {
    component: 'notifier',
    channel: 'console',
    receiver: 'log',
    idempotencyKey: 'fp-disk-db1:2:log',
    fingerprint: 'fp-disk-db1',
    sequence: 2,
    state: 'resolved',
    rule: 'DiskFull',
    severity: 'warning',
    agentId: 'db-1',
    value: 61.5,
  });
  t.notMatch(lines[0]!, /hunter2/, 'annotations stay out of the log');
  t.notMatch(lines[0]!, /dba@example\.com/, 'tags stay out of the log');
});

t.test('console config rejects unknown keys', async (t) => {
  const result = receiverConfigSchema.safeParse({ name: 'log', type: 'console', level: 'error' });
  t.equal(result.success, false);
});
