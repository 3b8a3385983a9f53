import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { ManualClock } from '../../../pipeline/clock/index.js';
import { silentLogger } from '../../../pipeline/log/logger.js';
import { type Channel, DeliveryError } from '../channel.js';
import { ChannelConfigError } from '../config-fields.js';
import { createChannel, receiverConfigSchema } from '../registry.js';
import { T0, groupNotification, sampleNotification } from '../test-support/notifications.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
/** The fixture's path relative to the working directory, as a user writes it in a configuration file. */
const relativeFixture = (name: string): string => `./${relative(process.cwd(), fixture(name))}`;

function outputFile(t: Test): string {
  const directory = mkdtempSync(join(tmpdir(), 'fleetpulse-module-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  return join(directory, 'delivered.jsonl');
}

async function moduleChannel(module: string, options: Record<string, unknown>, extra: Record<string, unknown> = {}, clock = new ManualClock(T0)): Promise<Channel> {
  const config = receiverConfigSchema.parse({ name: 'pager', type: 'module', module, options, ...extra });
  return createChannel(config, { logger: silentLogger, clock, env: { PAGER_TOKEN: 'pager-token-value' } });
}

/** Delivers a notification whose `fail` annotation makes the jsonl fixture throw, and returns what it threw. */
async function deliveryFailure(t: Test, channel: Channel, fail: string): Promise<unknown> {
  try {
    await channel.deliver(sampleNotification('pager', { annotations: { fail } }));
  } catch (error) {
    return error;
  }
  t.fail('expected the delivery to fail');
  return undefined;
}

t.test('module channel delivers', async (t) => {
  const file = outputFile(t);
  const channel = await moduleChannel(relativeFixture('jsonl-channel.mjs'), { file, token: { env: 'PAGER_TOKEN' }, label: 'pager-jsonl' });
  t.equal(channel.type, 'pager-jsonl', 'type from the module');

  await channel.deliver(sampleNotification('pager'));
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  t.same(
    lines,
    [
      {
        receiver: 'pager',
        key: 'fp-cpu-web1:3:pager',
        tokenLength: 'pager-token-value'.length,
        status: 'firing',
        groupLabels: {},
        alerts: [{ agent: 'web-1', state: 'firing', tags: { env: 'prod', team: 'platform' } }],
      },
    ],
    'a notification without group fields arrives as a group of one',
  );
});

t.test('module channel receives the whole group', async (t) => {
  const file = outputFile(t);
  const channel = await moduleChannel(relativeFixture('jsonl-channel.mjs'), { file, token: 'inline-token' });
  await channel.deliver(groupNotification('pager', 3, { resolved: 1 }));

  const [line] = readFileSync(file, 'utf8').trim().split('\n').map((text) => JSON.parse(text) as { status: string; groupLabels: unknown; alerts: unknown[] });
  t.equal(line!.status, 'firing');
  t.same(line!.groupLabels, { alertname: 'HighCPU' });
  t.same(line!.alerts, [
    { agent: 'web-1', state: 'resolved', tags: { env: 'prod', rack: 'r1' } },
    { agent: 'web-2', state: 'firing', tags: { env: 'prod', rack: 'r2' } },
    { agent: 'web-3', state: 'firing', tags: { env: 'prod', rack: 'r3' } },
  ]);
});

t.test('module channel from a default export', async (t) => {
  const file = outputFile(t);
  const channel = await moduleChannel(fixture('validate-channel.mjs'), { file });
  t.equal(channel.type, 'validated');
  await channel.deliver(sampleNotification('pager'));
  t.equal(readFileSync(file, 'utf8'), 'fp-cpu-web1:3:pager\n');
});

t.test('module options checked by its schema', async (t) => {
  const rejected = moduleChannel(relativeFixture('jsonl-channel.mjs'), { file: 42, token: 'x', extra: true });
  await t.rejects(rejected, ChannelConfigError);
  await rejected.catch((error: Error) => {
    t.match(error.message, /^receiver pager: module \.\/.*jsonl-channel\.mjs: invalid options: /);
    t.match(error.message, /options\.file: /);
    t.match(error.message, /extra/, 'unknown key named');
  });
});

t.test('module options checked by its validate', async (t) => {
  await t.rejects(moduleChannel(fixture('validate-channel.mjs'), {}), /invalid options: options\.file must be a file path/);
});

t.test('module secrets resolve like built-in ones', async (t) => {
  await t.rejects(
    moduleChannel(relativeFixture('jsonl-channel.mjs'), { file: '/tmp/never-written', token: { env: 'MISSING_TOKEN' } }),
    /options\.token reads environment variable MISSING_TOKEN, which is not set or empty/,
  );
});

t.test('module load errors name the module', async (t) => {
  await t.rejects(moduleChannel('./no/such/channel.mjs', {}), /^receiver pager: module \.\/no\/such\/channel\.mjs could not be loaded: /);
  await t.rejects(moduleChannel(fixture('incomplete-channel.mjs'), {}), /exports no createChannel function/);
  t.equal(receiverConfigSchema.safeParse({ name: 'pager', type: 'module', module: 'some-package' }).success, false, 'a bare package name is not a path');
  t.equal(receiverConfigSchema.safeParse({ name: 'pager', type: 'module', module: './a.js', url: 'x' }).success, false, 'options belong under options');
});

t.test('module errors become DeliveryError', async (t) => {
  const channel = await moduleChannel(fixture('jsonl-channel.mjs'), { file: outputFile(t), token: 'inline-token' });

  const retryable = await deliveryFailure(t, channel, 'retryable');
  t.type(retryable, DeliveryError);
  t.match(retryable, { message: 'queue full, try later', retryable: true, retryAfterMs: 2_000, status: 503 });

  const permanent = await deliveryFailure(t, channel, 'permanent');
  t.type(permanent, DeliveryError);
  t.match(permanent, { retryable: false, status: 400 });

  const plain = await deliveryFailure(t, channel, 'plain');
  t.notOk(plain instanceof DeliveryError, 'other errors pass through');
  t.match(plain, { message: 'boom' });
});

t.test('module deliver times out', async (t) => {
  const clock = new ManualClock(T0);
  const channel = await moduleChannel(fixture('jsonl-channel.mjs'), { file: outputFile(t), token: 'inline-token' }, { timeout: '5s' }, clock);
  const delivery = channel.deliver(sampleNotification('pager', { annotations: { fail: 'hang' } }));
  const outcome = delivery.then(
    () => undefined,
    (error: unknown) => error,
  );
  await clock.advance(5_000);
  const error = await outcome;
  t.type(error, DeliveryError);
  t.match(error, { retryable: true, message: 'module channel pager timed out after 5000 ms' });
  t.equal(clock.pendingTimers, 0, 'no timer left behind');
});

t.test('module fixture writes nothing when rejected', async (t) => {
  const file = outputFile(t);
  await t.rejects(moduleChannel(fixture('jsonl-channel.mjs'), { file, token: { env: 'MISSING_TOKEN' } }));
  t.equal(existsSync(file), false);
});
