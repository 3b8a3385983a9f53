import t from 'tap';
import { ManualClock } from '../pipeline/clock/index.js';
import { createLogger } from '../pipeline/log/logger.js';
import { Sender } from './sender.js';
import { TestGateway } from './test-gateway.js';
import type { AccessTokenSource } from './token-client.js';

const START = Date.parse('2026-01-01T00:00:00Z');

t.test('sender renews the token after a 401', async (t) => {
  const gateway = await TestGateway.start((_batch, index) => (index === 0 ? { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } } : { status: 202 }));
  t.teardown(() => gateway.close());
  const issued: string[] = [];
  const invalidated: string[] = [];
  let current: string | undefined;
  const tokens: AccessTokenSource = {
    token: async () => {
      if (current === undefined) {
        current = `token-${issued.length + 1}`;
        issued.push(current);
      }
      return current;
    },
    invalidate: (token) => {
      invalidated.push(token);
      if (token === current) current = undefined;
    },
  };
  const clock = new ManualClock(START);
  const sender = new Sender({
    gatewayUrl: gateway.url,
    agentId: 'web-1',
    tags: {},
    bufferMaxSamples: 100,
    batchMaxSamples: 10,
    requestTimeoutMs: 5_000,
    retryInitialMs: 1_000,
    retryMaxMs: 1_000,
    logger: createLogger({ level: 'silent' }),
    clock,
    random: () => 0,
    tokens,
  });
  sender.enqueue([{ metric: 'cpu_usage', value: 1, ts: START, labels: {} }]);
  t.equal(await sender.flushNow(), false, 'the first attempt got 401');
  t.same(invalidated, ['token-1']);
  t.equal(await sender.flushNow(), true, 'the retry with a new token was accepted');
  t.same(issued, ['token-1', 'token-2']);
  t.equal(sender.stats().rejectedBatches, 0, 'a 401 does not drop the batch');
  await sender.stop();
});
