import t from 'tap';
import { ManualClock } from '../../pipeline/clock/index.js';
import { silentLogger } from '../../pipeline/log/logger.js';
import { CHANNEL_TYPES, createChannels, receiversSchema } from './registry.js';

t.test('registry builds a channel per receiver', async (t) => {
  const receivers = receiversSchema.parse([
    { name: 'log', type: 'console' },
    { name: 'oncall', type: 'webhook', url: 'https://hooks.example.com/alert' },
  ]);
  const channels = await createChannels(receivers, { logger: silentLogger, clock: new ManualClock(0), env: {} });
  t.same([...channels.keys()], ['log', 'oncall']);
  t.same([...channels.values()].map((channel) => channel.type), ['console', 'webhook']);
  t.same(Object.keys(CHANNEL_TYPES), ['console', 'webhook', 'slack', 'email', 'telegram', 'module']);
});

t.test('registry rejects duplicate receiver names', async (t) => {
  const result = receiversSchema.safeParse([
    { name: 'log', type: 'console' },
    { name: 'log', type: 'console' },
  ]);
  t.equal(result.success, false);
  t.match(result.error?.issues[0], { path: [1, 'name'], message: 'receiver log is defined twice' });
});

t.test('registry rejects an unknown type', async (t) => {
  const result = receiversSchema.safeParse([{ name: 'pager', type: 'carrier-pigeon' }]);
  t.equal(result.success, false);
  t.match(result.error?.issues[0]?.path, [0, 'type']);
  t.equal(
    result.error?.issues[0]?.message,
    'unknown channel type "carrier-pigeon"; expected one of console, webhook, slack, email, telegram or module (type: module loads a channel from an ES module you provide)',
  );
  const missing = receiversSchema.safeParse([{ name: 'pager' }]);
  t.match(missing.error?.issues[0]?.message, /^missing channel type; expected one of console, /);
});

t.test('registry reads a rate limit per receiver', async (t) => {
  const [receiver] = receiversSchema.parse([{ name: 'log', type: 'console', rate_limit: { max: 30, per: '1m' } }]);
  t.same(receiver?.rate_limit, { max: 30, per: 60_000, max_wait: 30_000 });
  t.equal(receiversSchema.safeParse([{ name: 'log', type: 'console', rate_limit: { max: 0, per: '1m' } }]).success, false, 'max below 1');
  t.equal(receiversSchema.safeParse([{ name: 'log', type: 'console', rate_limit: { max: 5 } }]).success, false, 'per missing');
  t.equal(receiversSchema.safeParse([{ name: 'log', type: 'console', rate_limit: { max: 5, per: '1m', burst: 2 } }]).success, false, 'unknown key');
});
