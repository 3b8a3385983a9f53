import t from 'tap';
import { ManualClock, systemClock, type Clock } from '../pipeline/clock/index.js';
import { createLogger, type Logger } from '../pipeline/log/logger.js';
import type { Sample } from '../pipeline/messages/metric-batch.js';
import { backoffCeilingMs } from './retry.js';
import { Sender, type SenderOptions } from './sender.js';
import { TestGateway, type GatewayScript } from './test-gateway.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const TAGS = { env: 'test', region: 'local', role: 'agent_test' };

type LogLine = Record<string, unknown> & { level: number; msg: string };

function captureLogs(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });
  return { logger, lines };
}

/** Samples numbered by value, so a test can check each one arrived once and in order. */
function numbered(from: number, count: number, ts = START): Sample[] {
  return Array.from({ length: count }, (_, i) => ({ metric: 'seq', value: from + i, ts, labels: { n: String(from + i) } }));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function createSender(gateway: TestGateway, clock: Clock, overrides: Partial<SenderOptions> = {}): Sender {
  return new Sender({
    gatewayUrl: gateway.url,
    agentId: 'agent-under-test',
    tags: TAGS,
    bufferMaxSamples: 10_000,
    batchMaxSamples: 25,
    requestTimeoutMs: 10_000,
    retryInitialMs: 1_000,
    retryMaxMs: 60_000,
    logger: captureLogs().logger,
    clock,
    random: () => 0.5,
    ...overrides,
  });
}

const pause = (ms = 1): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the sender until `done` holds: waits in real time while a request is
 * in flight and moves the manual clock to the next attempt while it waits.
 */
async function drive(clock: ManualClock, sender: Sender, done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; sender stats ${JSON.stringify(sender.stats())}`);
    const { state, nextAttemptAt } = sender.stats();
    if (state === 'waiting' && nextAttemptAt !== undefined) await clock.set(nextAttemptAt);
    else await pause();
  }
}

/** Waits in real time, without moving the clock, until `done` holds. */
async function until(done: () => boolean, what: string, sender?: Sender): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${sender ? `; sender stats ${JSON.stringify(sender.stats())}` : ''}`);
    await pause();
  }
}

const values = (samples: Sample[]): number[] => samples.map((sample) => sample.value);

/** Starts a test gateway that closes when the test `t` ends. */
async function startGateway(t: { teardown(cleanup: () => unknown): void }, script?: GatewayScript): Promise<TestGateway> {
  const gateway = await TestGateway.start(script);
  t.teardown(() => gateway.close());
  return gateway;
}

t.test('sender delivers in order with tags', async (t) => {
  const gateway = await startGateway(t);
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock, { batchMaxSamples: 10 });

  sender.enqueue(numbered(0, 35));
  await drive(clock, sender, () => sender.stats().bufferedSamples === 0, 'delivery');

  t.same(values(gateway.acceptedSamples()), range(0, 35));
  t.same(gateway.accepted.map((batch) => batch.samples.length), [10, 10, 10, 5]);
  for (const batch of gateway.accepted) {
    t.same(batch.tags, TAGS, 'tags ride on the batch');
    t.equal(batch.agentId, 'agent-under-test');
    t.equal(batch.version, 1);
  }
  t.same(gateway.problems, []);
  t.equal(sender.stats().sentSamples, 35);
  t.equal(sender.stats().sentBatches, 4);
  t.equal(sender.stats().state, 'idle');
});

t.test('sender outage loses nothing', async (t) => {
  const outageReplies = 4;
  const gateway = await startGateway(t, (_batch, index) => (index < outageReplies ? { status: 503 } : { status: 202 }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock, { batchMaxSamples: 25, random: Math.random });

  sender.enqueue(numbered(0, 60));
  await drive(clock, sender, () => gateway.requests.length === outageReplies && sender.stats().state === 'waiting', '503 replies');
  t.equal(sender.stats().failedAttempts, outageReplies);

  await gateway.close();
  sender.enqueue(numbered(60, 40));
  await drive(clock, sender, () => sender.stats().failedAttempts === outageReplies + 3, 'refused connections');
  sender.enqueue(numbered(100, 50));
  t.equal(sender.stats().bufferedSamples, 150, 'every sample is still buffered');

  await gateway.restart();
  await drive(clock, sender, () => sender.stats().bufferedSamples === 0, 'delivery after the outage');

  const delivered = values(gateway.acceptedSamples());
  t.equal(delivered.length, 150, 'each sample delivered once');
  t.same(delivered, range(0, 150), 'in the order enqueued');
  t.ok(gateway.requests.slice(0, outageReplies).every((request) => request.status === 503));
  t.ok(gateway.accepted.every((batch) => batch.samples.length <= 25), 'batches respect batch_max_samples');
  t.ok(gateway.requests.every((request) => JSON.stringify(request.batch.tags) === JSON.stringify(TAGS)), 'tags on every batch');
  t.same(gateway.problems, []);
  t.equal(sender.stats().droppedSamples, 0);
  t.equal(sender.stats().sentSamples, 150);
  t.equal(sender.stats().consecutiveFailures, 0);
});

t.test('sender honours Retry-After seconds', async (t) => {
  const gateway = await startGateway(t, (_batch, index) => (index === 0 ? { status: 503, headers: { 'retry-after': '7' } } : { status: 202 }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock);

  sender.enqueue(numbered(0, 3));
  await until(() => sender.stats().state === 'waiting', 'the retry wait', sender);
  t.equal(sender.stats().nextAttemptAt! - clock.now(), 7_000);

  await clock.advance(6_999);
  await pause(20);
  t.equal(gateway.requests.length, 1, 'no attempt before Retry-After has passed');

  await clock.advance(1);
  await until(() => sender.stats().bufferedSamples === 0, 'delivery', sender);
  t.equal(gateway.requests.length, 2);
  t.same(values(gateway.acceptedSamples()), [0, 1, 2]);
});

t.test('sender honours Retry-After date', async (t) => {
  const retryAt = new Date(START + 12_000).toUTCString();
  const gateway = await startGateway(t, (_batch, index) => (index === 0 ? { status: 429, headers: { 'retry-after': retryAt } } : { status: 202 }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock);

  sender.enqueue(numbered(0, 3));
  await until(() => sender.stats().state === 'waiting', 'the retry wait', sender);
  t.equal(sender.stats().nextAttemptAt, START + 12_000);

  await clock.advance(12_000);
  await until(() => sender.stats().bufferedSamples === 0, 'delivery', sender);
  t.same(values(gateway.acceptedSamples()), [0, 1, 2]);
});

t.test('sender caps Retry-After at retry_max', async (t) => {
  const gateway = await startGateway(t, () => ({ status: 503, headers: { 'retry-after': '3600' } }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock, { retryMaxMs: 30_000 });

  sender.enqueue(numbered(0, 1));
  await until(() => sender.stats().state === 'waiting', 'the retry wait', sender);
  t.equal(sender.stats().nextAttemptAt! - clock.now(), 30_000);
});

/** Records the duration of every sleep, which the sender uses only for retry waits. */
function recordSleeps(clock: ManualClock): number[] {
  const sleeps: number[] = [];
  const sleep = clock.sleep.bind(clock);
  clock.sleep = (delayMs, signal) => {
    sleeps.push(delayMs);
    return sleep(delayMs, signal);
  };
  return sleeps;
}

t.test('sender backoff grows with jitter', async (t) => {
  const gateway = await startGateway(t, () => ({ status: 503 }));
  const clock = new ManualClock(START);
  const sleeps = recordSleeps(clock);
  const draws = [0.999, 0.5, 0.25, 0.999, 0, 0.75, 0.999, 0.999];
  let draw = 0;
  const sender = createSender(gateway, clock, { retryInitialMs: 1_000, retryMaxMs: 10_000, random: () => draws[draw++ % draws.length]! });

  sender.enqueue(numbered(0, 1));
  await drive(clock, sender, () => sleeps.length >= draws.length, `${draws.length} retry waits`);
  await sender.stop();

  // Ceilings 1s, 2s, 4s, 8s, then the 10s maximum; each wait is floor(draw * ceiling).
  t.same(sleeps.slice(0, draws.length), [999, 1_000, 1_000, 7_992, 0, 7_500, 9_990, 9_990]);
  for (const [attempt, delay] of sleeps.entries()) {
    t.ok(delay >= 0 && delay < backoffCeilingMs(attempt, 1_000, 10_000), `wait ${attempt} within [0, ceiling)`);
  }
  t.equal(gateway.requests.length, sender.stats().failedAttempts, 'one request per attempt');
  t.equal(gateway.accepted.length, 0);
});

t.test('sender random backoff stays within bounds', async (t) => {
  const gateway = await startGateway(t, () => ({ status: 503 }));
  const clock = new ManualClock(START);
  const sleeps = recordSleeps(clock);
  const sender = createSender(gateway, clock, { retryInitialMs: 500, retryMaxMs: 4_000, random: Math.random });

  sender.enqueue(numbered(0, 1));
  await drive(clock, sender, () => sleeps.length >= 12, '12 retry waits');
  await sender.stop();

  for (const [attempt, delay] of sleeps.entries()) {
    const ceiling = Math.min(4_000, 500 * 2 ** attempt);
    t.ok(delay >= 0 && delay < ceiling, `attempt ${attempt}: ${delay} ms in [0, ${ceiling})`);
  }
  t.ok(sleeps.slice(3).some((delay) => delay >= 500), 'later waits exceed the first ceiling');
});

t.test('sender overflow drops the oldest', async (t) => {
  const { logger, lines } = captureLogs();
  let accepting = false;
  const gateway = await startGateway(t, () => (accepting ? { status: 202 } : { status: 503, headers: { 'retry-after': '1' } }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock, { bufferMaxSamples: 10, batchMaxSamples: 5, logger });

  // All 25 go into the buffer before the first batch is cut: 15..24 remain, and 15..19 go in flight.
  sender.enqueue(numbered(0, 25));
  t.equal(sender.stats().droppedSamples, 15);
  const overflowLines = (): LogLine[] => lines.filter((line) => line.msg.startsWith('buffer full'));
  t.equal(overflowLines().length, 1);
  t.equal(overflowLines()[0]?.dropped, 15, 'the log line reports the count');
  t.equal(overflowLines()[0]?.bufferMaxSamples, 10);

  await until(() => sender.stats().state === 'waiting', 'the retry wait', sender);
  // 20..24 wait in the buffer; 10 more push out those 5.
  sender.enqueue(numbered(25, 10));
  t.equal(sender.stats().droppedSamples, 20);
  t.equal(overflowLines().length, 1, 'a second overflow within a minute is not logged at once');
  t.equal(sender.stats().bufferedSamples, 15, '10 waiting plus 5 in flight');

  accepting = true;
  await drive(clock, sender, () => sender.stats().bufferedSamples === 0, 'delivery');
  t.same(values(gateway.acceptedSamples()), [...range(15, 20), ...range(25, 35)], 'the newest samples survive, in order');

  await sender.stop();
  t.equal(overflowLines().length, 2, 'stop reports the drops not yet logged');
  t.equal(overflowLines()[1]?.dropped, 5);
  t.equal(overflowLines()[1]?.droppedTotal, 20);
});

t.test('sender overflow log repeats after a minute', async (t) => {
  const { logger, lines } = captureLogs();
  const gateway = await startGateway(t, () => ({ status: 503, headers: { 'retry-after': '3600' } }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock, { bufferMaxSamples: 4, batchMaxSamples: 2, logger });
  const overflowLines = (): LogLine[] => lines.filter((line) => line.msg.startsWith('buffer full'));

  sender.enqueue(numbered(0, 6));
  await until(() => sender.stats().state === 'waiting', 'the retry wait', sender);
  sender.enqueue(numbered(6, 3));
  await clock.advance(30_000);
  sender.enqueue(numbered(9, 1));
  t.same(overflowLines().map((line) => line.dropped), [2]);

  await clock.advance(30_000);
  sender.enqueue(numbered(10, 1));
  t.same(overflowLines().map((line) => line.dropped), [2, 3], 'the second line counts every drop since the first');
  t.equal(sender.stats().droppedSamples, 5);
});

t.test('sender logs a new retry reason at once', async (t) => {
  const { logger, lines } = captureLogs();
  const gateway = await startGateway(t, (_batch, index) => (index < 3 ? { status: 503 } : index < 5 ? { status: 500 } : { status: 202 }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock, { logger });
  const retryLines = (): LogLine[] => lines.filter((line) => line.msg.startsWith('sending to the gateway failed'));

  sender.enqueue(numbered(0, 5));
  await drive(clock, sender, () => sender.stats().bufferedSamples === 0, 'delivery');

  t.same(
    retryLines().map((line) => line.reason),
    ['gateway responded 503', 'gateway responded 500'],
    'one line per reason, the second without waiting a minute',
  );
  t.same(
    retryLines().map((line) => line.attempt),
    [1, 4],
    'the 500 line comes with the first 500',
  );
  t.same(
    retryLines().map((line) => line.failuresSinceLastLine),
    [1, 3],
    'the 500 line counts the 503s it follows',
  );
});

t.test('sender drops a batch on 400', async (t) => {
  const { logger, lines } = captureLogs();
  const errorBody = JSON.stringify({ error: 'invalid metric batch', issues: [{ path: 'samples[0].metric', message: 'expected a metric name' }] });
  const gateway = await startGateway(t, (_batch, index) => (index === 0 ? { status: 400, body: errorBody } : { status: 202 }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock, { batchMaxSamples: 5, logger });

  sender.enqueue(numbered(0, 12));
  await drive(clock, sender, () => sender.stats().bufferedSamples === 0, 'delivery');

  t.equal(gateway.requests.length, 3, 'the rejected batch is not retried');
  t.same(values(gateway.acceptedSamples()), range(5, 12));
  t.equal(sender.stats().rejectedBatches, 1);
  t.equal(sender.stats().rejectedSamples, 5);
  t.equal(sender.stats().failedAttempts, 0);

  const rejection = lines.find((line) => line.msg.startsWith('gateway rejected'));
  t.equal(rejection?.level, 50, 'logged at error level');
  t.equal(rejection?.status, 400);
  t.equal(rejection?.body, errorBody, 'the log carries the gateway error body');
  t.equal(rejection?.samples, 5);
});

t.test('sender drops on other 4xx and retries 408', async (t) => {
  const statuses = [404, 408, 202, 422];
  const gateway = await startGateway(t, (_batch, index) => (index < statuses.length ? { status: statuses[index]! } : { status: 202 }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock, { batchMaxSamples: 2 });

  sender.enqueue(numbered(0, 8));
  await drive(clock, sender, () => sender.stats().bufferedSamples === 0, 'delivery');

  t.same(gateway.requests.map((request) => values(request.batch.samples)), [[0, 1], [2, 3], [2, 3], [4, 5], [6, 7]]);
  t.same(values(gateway.acceptedSamples()), [2, 3, 6, 7]);
  t.equal(sender.stats().rejectedBatches, 2);
  t.equal(sender.stats().failedAttempts, 1);
});

t.test('sender splits on 413', async (t) => {
  const gateway = await startGateway(t, (batch) => (batch.samples.length > 3 ? { status: 413 } : { status: 202 }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock, { batchMaxSamples: 10 });

  sender.enqueue(numbered(0, 10));
  await drive(clock, sender, () => sender.stats().bufferedSamples === 0, 'delivery');
  t.same(
    gateway.requests.map((request) => [request.batch.samples.length, request.status]),
    [
      [10, 413],
      [5, 413],
      [3, 202],
      [2, 202],
      [5, 413],
      [3, 202],
      [2, 202],
    ],
  );
  t.same(values(gateway.acceptedSamples()), range(0, 10), 'halves arrive in order');
  t.equal(sender.stats().batchLimit, 3, 'later batches are cut smaller');
  t.equal(sender.stats().failedAttempts, 0, 'a split is no failure');

  sender.enqueue(numbered(10, 7));
  await drive(clock, sender, () => sender.stats().bufferedSamples === 0, 'delivery of later batches');
  t.same(gateway.requests.slice(7).map((request) => request.batch.samples.length), [3, 3, 1]);
  t.same(values(gateway.acceptedSamples()), range(0, 17));
  t.same(gateway.problems, []);
});

t.test('sender drops a single sample on 413', async (t) => {
  const gateway = await startGateway(t, () => ({ status: 413 }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock);

  sender.enqueue(numbered(0, 1));
  await drive(clock, sender, () => sender.stats().bufferedSamples === 0, 'the rejection');
  t.equal(gateway.requests.length, 1);
  t.equal(sender.stats().rejectedSamples, 1);
});

t.test('sender retries a request that timed out', async (t) => {
  const gateway = await startGateway(t, (_batch, index) => (index === 0 ? 'hang' : { status: 202 }));
  const clock = new ManualClock(START);
  const { logger, lines } = captureLogs();
  const sender = createSender(gateway, clock, { requestTimeoutMs: 5_000, logger });

  sender.enqueue(numbered(0, 4));
  await until(() => gateway.requests.length === 1, 'the first request');
  await clock.advance(5_000);
  await until(() => sender.stats().state === 'waiting', 'the retry wait', sender);
  t.match(lines.find((line) => line.msg.startsWith('sending to the gateway failed'))?.reason, /timed out after 5000 ms/);

  await drive(clock, sender, () => sender.stats().bufferedSamples === 0, 'delivery');
  t.same(values(gateway.acceptedSamples()), [0, 1, 2, 3]);
  t.equal(sender.stats().failedAttempts, 1);
});

t.test('sender retries an unexpected 200', async (t) => {
  const gateway = await startGateway(t, (_batch, index) => (index === 0 ? { status: 200 } : { status: 202 }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock);

  sender.enqueue(numbered(0, 2));
  await drive(clock, sender, () => sender.stats().bufferedSamples === 0, 'delivery');
  t.equal(gateway.requests.length, 2, 'only 202 acknowledges a batch');
  t.equal(sender.stats().failedAttempts, 1);
});

t.test('sender flushNow skips the retry wait', async (t) => {
  let accepting = false;
  const gateway = await startGateway(t, () => (accepting ? { status: 202 } : { status: 503, headers: { 'retry-after': '60' } }));
  const clock = new ManualClock(START);
  const sender = createSender(gateway, clock);

  sender.enqueue(numbered(0, 3));
  await until(() => sender.stats().state === 'waiting', 'the retry wait', sender);
  t.equal(await sender.flushNow(), false, 'resolves false when the attempt fails');
  t.equal(gateway.requests.length, 2);

  accepting = true;
  await until(() => sender.stats().state === 'waiting', 'the retry wait', sender);
  t.equal(await sender.flushNow(), true, 'resolves true once the buffer is empty');
  t.equal(clock.now(), START, 'without moving the clock');
  t.same(values(gateway.acceptedSamples()), [0, 1, 2]);
  t.equal(await sender.flushNow(), true, 'an empty buffer is flushed at once');
});

t.test('sender stop flushes the buffer', async (t) => {
  const gateway = await startGateway(t);
  const clock = new ManualClock(START);
  const { logger, lines } = captureLogs();
  const sender = createSender(gateway, clock, { batchMaxSamples: 10, logger });

  sender.enqueue(numbered(0, 45));
  await sender.stop();
  t.same(values(gateway.acceptedSamples()), range(0, 45));
  t.equal(sender.stats().state, 'stopped');
  t.equal(lines.at(-1)?.msg, 'sender stopped');

  sender.enqueue(numbered(45, 1));
  t.equal(sender.stats().bufferedSamples, 0, 'a stopped sender takes no samples');
});

t.test('sender stop gives up after one failure', async (t) => {
  const gateway = await startGateway(t, () => ({ status: 503 }));
  const clock = new ManualClock(START);
  const { logger, lines } = captureLogs();
  const sender = createSender(gateway, clock, { batchMaxSamples: 10, logger });

  sender.enqueue(numbered(0, 25));
  await until(() => sender.stats().state === 'waiting', 'the retry wait', sender);
  await sender.stop();

  t.equal(gateway.requests.length, 2, 'one last attempt, no retry wait');
  const summary = lines.find((line) => line.msg.startsWith('sender stopped with samples not delivered'));
  t.equal(summary?.unsentSamples, 25);
  t.equal(summary?.level, 40);
});

t.test('sender stop bounded by timeout', async (t) => {
  const gateway = await startGateway(t, () => 'hang');
  const sender = createSender(gateway, systemClock, { requestTimeoutMs: 60_000 });

  sender.enqueue(numbered(0, 5));
  await until(() => gateway.requests.length === 1, 'the first request');
  const started = Date.now();
  await sender.stop(200);
  const elapsed = Date.now() - started;

  t.ok(elapsed >= 150 && elapsed < 2_000, `stop returned after ${elapsed} ms`);
  t.equal(sender.stats().bufferedSamples, 5);
});
