import t from 'tap';
import { ManualClock } from '../pipeline/clock/index.js';
import { silentLogger } from '../pipeline/log/logger.js';
import type { Notification } from '../pipeline/messages/notification.js';
import { MemoryDedupLog } from '../pipeline/state/dedup-log.js';
import type { DeliveryRecord } from '../pipeline/store/store.js';
import { type Channel, DeliveryError } from './channels/channel.js';
import { T0, sampleNotification } from './channels/test-support/notifications.js';
import { Notifier, notifierConfigSchema } from './notifier.js';

const notification = sampleNotification('oncall');

/** A channel that runs the scripted outcomes in order and records when it was called. */
class ScriptedChannel implements Channel {
  readonly type = 'scripted';
  readonly calls: number[] = [];

  constructor(
    private readonly clock: ManualClock,
    private readonly outcomes: Array<Error | 'ok'>,
  ) {}

  async deliver(): Promise<void> {
    this.calls.push(this.clock.now());
    const outcome = this.outcomes[this.calls.length - 1] ?? 'ok';
    if (outcome !== 'ok') throw outcome;
  }
}

function setup(outcomes: Array<Error | 'ok'>, retry: Record<string, unknown> = {}, receivers: unknown[] = []) {
  const clock = new ManualClock(T0);
  const channel = new ScriptedChannel(clock, outcomes);
  const records: DeliveryRecord[] = [];
  const dedupLog = new MemoryDedupLog(clock);
  const config = notifierConfigSchema.parse({ retry: { max_attempts: 4, initial_backoff: '1s', max_backoff: '3s', max_retry_after: '1m', ...retry }, receivers });
  const notifier = new Notifier({
    channels: new Map<string, Channel>([
      ['oncall', channel],
      ['team-chat', new ScriptedChannel(clock, [])],
    ]),
    store: { writeDeliveries: async (deliveries) => void records.push(...deliveries) },
    dedupLog,
    clock,
    logger: silentLogger,
    config,
    // Half of each ceiling, so the waits are known: 500 ms, 1 s, 1.5 s (capped at 3 s).
    random: () => 0.5,
  });
  return { clock, channel, records, dedupLog, notifier };
}

/** Runs `deliver` while moving the manual clock forward until it settles. */
async function deliverWithTime(notifier: Notifier, clock: ManualClock, item: Notification = notification) {
  let settled = false;
  const outcome = notifier.deliver(item).finally(() => {
    settled = true;
  });
  while (!settled) await clock.advance(100);
  return outcome;
}

const retryable = (message = 'HTTP 503', retryAfterMs?: number) => new DeliveryError(message, true, { status: 503, retryAfterMs });

t.test('Notifier delivers and records once', async (t) => {
  const { clock, channel, records, notifier } = setup(['ok']);
  t.equal(await deliverWithTime(notifier, clock), 'delivered');
  t.same(channel.calls, [T0]);
  t.same(records, [{ ts: T0, idempotencyKey: 'fp-cpu-web1:3:oncall', fingerprint: 'fp-cpu-web1', receiver: 'oncall', channel: 'scripted', outcome: 'delivered', attempts: 1 }]);
});

t.test('Notifier skips a delivered key', async (t) => {
  const { clock, channel, records, notifier } = setup(['ok']);
  await deliverWithTime(notifier, clock);
  t.equal(await deliverWithTime(notifier, clock), 'duplicate');
  t.equal(channel.calls.length, 1, 'channel called once');
  t.equal(records.length, 1, 'one record');
});

t.test('Notifier retries with full-jitter backoff', async (t) => {
  const { clock, channel, records, notifier } = setup([retryable(), retryable(), retryable(), 'ok']);
  t.equal(await deliverWithTime(notifier, clock), 'delivered');
  // Waits of 0.5 * 1 s, 0.5 * 2 s and 0.5 * 3 s (the 4 s ceiling capped at max_backoff).
  t.same(channel.calls, [T0, T0 + 500, T0 + 1_500, T0 + 3_000]);
  t.equal(records[0]!.attempts, 4);
  t.equal(records[0]!.outcome, 'delivered');
});

t.test('Notifier waits for Retry-After', async (t) => {
  const { clock, channel, notifier } = setup([retryable('HTTP 429', 20_000), 'ok']);
  await deliverWithTime(notifier, clock);
  t.same(channel.calls, [T0, T0 + 20_000], 'waited 20 s, longer than the 500 ms backoff');
});

t.test('Notifier gives up on a long Retry-After', async (t) => {
  const { clock, channel, records, notifier } = setup([retryable('HTTP 429', 3_600_000), 'ok']);
  t.equal(await deliverWithTime(notifier, clock), 'failed');
  t.same(channel.calls, [T0], 'no second attempt');
  t.match(records[0]!.error, /retry after 3600000 ms, more than max_retry_after 60000 ms/);
});

t.test('Notifier does not retry a permanent failure', async (t) => {
  const { clock, channel, records, notifier } = setup([new DeliveryError('HTTP 400 Bad Request', false, { status: 400 }), 'ok']);
  t.equal(await deliverWithTime(notifier, clock), 'failed');
  t.same(channel.calls, [T0]);
  t.same(records, [{ ts: T0, idempotencyKey: 'fp-cpu-web1:3:oncall', fingerprint: 'fp-cpu-web1', receiver: 'oncall', channel: 'scripted', outcome: 'failed', attempts: 1, error: 'HTTP 400 Bad Request' }]);
});

t.test('Notifier records exhausted attempts', async (t) => {
  const { clock, channel, records, notifier } = setup([retryable(), retryable(), retryable(), retryable(), 'ok']);
  t.equal(await deliverWithTime(notifier, clock), 'failed');
  t.equal(channel.calls.length, 4, 'max_attempts calls');
  t.equal(records[0]!.attempts, 4);
  t.equal(records[0]!.error, 'HTTP 503 (gave up after 4 attempts)');
});

t.test('Notifier releases the claim after a failure', async (t) => {
  const { clock, channel, records, notifier } = setup([new DeliveryError('HTTP 404', false), 'ok']);
  t.equal(await deliverWithTime(notifier, clock), 'failed');
  t.equal(await deliverWithTime(notifier, clock), 'delivered', 'the redelivered notification is tried again');
  t.equal(channel.calls.length, 2);
  t.same(records.map((record) => record.outcome), ['failed', 'delivered']);
});

t.test('Notifier treats other errors as permanent', async (t) => {
  const { clock, channel, records, notifier } = setup([new TypeError('cannot read properties of undefined'), 'ok']);
  t.equal(await deliverWithTime(notifier, clock), 'failed');
  t.equal(channel.calls.length, 1);
  t.match(records[0]!.error, /channel scripted failed unexpectedly: cannot read properties/);
});

t.test('Notifier records an unknown receiver', async (t) => {
  const { clock, channel, records, notifier, dedupLog } = setup(['ok']);
  const stray: Notification = { ...notification, receiver: 'nobody', idempotencyKey: 'fp-cpu-web1:3:nobody' };
  t.equal(await deliverWithTime(notifier, clock, stray), 'failed');
  t.equal(channel.calls.length, 0);
  t.same(records[0], { ts: T0, idempotencyKey: 'fp-cpu-web1:3:nobody', fingerprint: 'fp-cpu-web1', receiver: 'nobody', channel: 'unknown', outcome: 'failed', attempts: 0, error: 'unknown receiver nobody; add it to notifier.receivers' });
  t.equal(await dedupLog.claim('fp-cpu-web1:3:nobody', 1_000), true, 'claim released');
});

t.test('Notifier abort releases the claim', async (t) => {
  const { clock, notifier, records, dedupLog } = setup([retryable(), 'ok']);
  const controller = new AbortController();
  const delivery = notifier.deliver(notification, controller.signal);
  await clock.advance(100);
  controller.abort(new Error('shutting down'));
  await t.rejects(delivery, { message: 'shutting down' });
  t.same(records, [], 'nothing recorded');
  t.equal(await dedupLog.claim(notification.idempotencyKey, 1_000), true, 'claim released');
});

t.test('Notifier propagates a store failure', async (t) => {
  const clock = new ManualClock(T0);
  const notifier = new Notifier({
    channels: new Map([['oncall', new ScriptedChannel(clock, ['ok'])]]),
    store: {
      writeDeliveries: async () => {
        throw new Error('store unavailable');
      },
    },
    dedupLog: new MemoryDedupLog(clock),
    clock,
    logger: silentLogger,
    config: notifierConfigSchema.parse({}),
  });
  await t.rejects(notifier.deliver(notification), { message: 'store unavailable' });
});

/** The notification of transition `sequence`, so that each has its own idempotency key. */
const transition = (sequence: number, receiver = 'oncall'): Notification => ({
  ...notification,
  receiver,
  idempotencyKey: `fp-cpu-web1:${sequence}:${receiver}`,
  alert: { ...notification.alert, sequence },
});

const limited = (rateLimit: Record<string, unknown>) => [{ name: 'oncall', type: 'console', rate_limit: rateLimit }];

t.test('Notifier waits for a rate limit slot', async (t) => {
  const { clock, channel, records, notifier } = setup([], {}, limited({ max: 2, per: '1m', max_wait: '2m' }));
  t.equal(await notifier.deliver(transition(1)), 'delivered');
  t.equal(await notifier.deliver(transition(2)), 'delivered');
  t.equal(await deliverWithTime(notifier, clock, transition(3)), 'delivered', 'the third waited');
  t.same(channel.calls, [T0, T0, T0 + 60_000], 'the third waited until the first left the window');
  t.same(records.map((record) => record.outcome), ['delivered', 'delivered', 'delivered']);
});

t.test('Notifier records rate limited', async (t) => {
  const { channel, records, notifier, dedupLog } = setup([], {}, limited({ max: 1, per: '1m', max_wait: '10s' }));
  t.equal(await notifier.deliver(transition(1)), 'delivered');
  const result = await notifier.deliverWithResult(transition(2));

  t.equal(result.outcome, 'rate_limited');
  t.equal(result.attempts, 0);
  t.equal(result.error, 'rate limited: receiver oncall allows 1 notifications per 1m, and the next slot frees in 60000 ms, later than max_wait 10s');
  t.equal(channel.calls.length, 1, 'the channel was not called');
  t.same(records[1], {
    ts: T0,
    idempotencyKey: 'fp-cpu-web1:2:oncall',
    fingerprint: 'fp-cpu-web1',
    receiver: 'oncall',
    channel: 'scripted',
    outcome: 'rate_limited',
    attempts: 0,
    error: result.error,
  });
  t.equal(await dedupLog.claim('fp-cpu-web1:2:oncall', 1_000), true, 'claim released');
});

t.test('Notifier max_wait 0 never waits', async (t) => {
  const { clock, notifier } = setup([], {}, limited({ max: 1, per: '1s', max_wait: '0s' }));
  t.equal(await notifier.deliver(transition(1)), 'delivered');
  t.equal(await notifier.deliver(transition(2)), 'rate_limited');
  await clock.advance(1_000);
  t.equal(await notifier.deliver(transition(3)), 'delivered', 'a slot frees once the window passes');
});

t.test('Notifier rate limits each receiver', async (t) => {
  const { notifier } = setup([], {}, limited({ max: 1, per: '1m', max_wait: '0s' }));
  t.equal(await notifier.deliver(transition(1)), 'delivered');
  t.equal(await notifier.deliver(transition(2)), 'rate_limited', 'oncall is over its limit');
  t.equal(await notifier.deliver(transition(2, 'team-chat')), 'delivered', 'team-chat has no limit');
});

t.test('Notifier abort during a rate wait', async (t) => {
  const { clock, notifier, records, dedupLog } = setup([], {}, limited({ max: 1, per: '1m', max_wait: '2m' }));
  await notifier.deliver(transition(1));
  const controller = new AbortController();
  const waiting = notifier.deliver(transition(2), controller.signal);
  await clock.advance(1_000);
  controller.abort(new Error('shutting down'));
  await t.rejects(waiting, { message: 'shutting down' });
  t.equal(records.length, 1, 'nothing recorded for the aborted one');
  t.equal(await dedupLog.claim('fp-cpu-web1:2:oncall', 1_000), true, 'claim released');
});

t.test('Notifier result of exhausted attempts', async (t) => {
  const { clock, notifier } = setup([retryable(), retryable(), retryable(), retryable()]);
  let settled = false;
  const pending = notifier.deliverWithResult(notification).finally(() => {
    settled = true;
  });
  while (!settled) await clock.advance(100);
  const result = await pending;
  t.same(result, { outcome: 'failed', channel: 'scripted', attempts: 4, error: 'HTTP 503 (gave up after 4 attempts)', at: T0 + 3_000 });
});
