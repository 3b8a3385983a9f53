import { Redis } from 'ioredis';
import t from 'tap';
import { testServices, uniqueName } from '../test-support/services.js';
import { MemoryRouterState, RedisRouterState, type RouterStateStore } from './router-state.js';

const stores: Array<[string, () => RouterStateStore]> = [
  ['MemoryRouterState', () => new MemoryRouterState()],
  ['RedisRouterState', () => new RedisRouterState(testServices.redisUrl, { keyPrefix: `${uniqueName('test')}:router:` })],
];

for (const [name, make] of stores) {
  t.test(`${name} round-trips a group`, async (t) => {
    const state = make();
    t.teardown(() => state.close());
    const missing = await state.readGroup('g1');
    t.equal(missing.meta, undefined, 'missing group has no metadata');
    t.equal(missing.entries.size, 0, 'nor entries');

    await state.writeGroup('g1', { meta: '{"m":1}', changed: new Map([['fp1', 'a'], ['fp2', 'b']]), removed: [], dueAt: 1_000 });
    await state.writeGroup('g1', { meta: '{"m":2}', changed: new Map([['fp3', 'c']]), removed: ['fp1'], dueAt: 3_000 });
    const all = await state.readGroup('g1');
    t.equal(all.meta, '{"m":2}');
    t.same([...all.entries].sort(), [['fp2', 'b'], ['fp3', 'c']]);
    const some = await state.readGroup('g1', ['fp3', 'fp9']);
    t.same([...some.entries], [['fp3', 'c']], 'only the requested entries');
  });

  t.test(`${name} lists due groups in order`, async (t) => {
    const state = make();
    t.teardown(() => state.close());
    for (const [id, dueAt] of [['late', 3_000], ['early', 1_000], ['later', 9_000]] as const) {
      await state.writeGroup(id, { meta: '{}', changed: new Map(), removed: [], dueAt });
    }
    t.same(await state.dueGroups(3_000, 10), ['early', 'late']);
    t.same(await state.dueGroups(3_000, 1), ['early'], 'limit');
    await state.deleteGroup('early');
    t.same(await state.dueGroups(10_000, 10), ['late', 'later']);
    t.same((await state.readGroup('early')).entries.size, 0);
  });

  t.test(`${name} group lock serialises work`, async (t) => {
    const state = make();
    t.teardown(() => state.close());
    const order: string[] = [];
    const slow = state.withGroupLock('g', async () => {
      order.push('a start');
      await new Promise((resolve) => setTimeout(resolve, 30));
      order.push('a end');
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const fast = state.withGroupLock('g', async () => void order.push('b'));
    const other = state.withGroupLock('h', async () => void order.push('other group'));
    await Promise.all([slow, fast, other]);
    t.same(order.filter((step) => step !== 'other group'), ['a start', 'a end', 'b']);
    t.ok(order.indexOf('other group') < order.indexOf('a end'), 'another group does not wait');
    await t.rejects(state.withGroupLock('g', async () => Promise.reject(new Error('boom'))), /boom/);
    t.equal(await state.withGroupLock('g', async () => 'free again'), 'free again', 'a failure releases the lock');
  });

  t.test(`${name} keeps alert records and sources`, async (t) => {
    const state = make();
    t.teardown(() => state.close());
    await state.writeAlerts(new Map([['fp1', 'one'], ['fp2', 'two']]), 60_000);
    t.same([...(await state.readAlerts(['fp1', 'fp3']))], [['fp1', 'one']]);
    await state.setSource('fp1', '{"x":1}');
    await state.setSource('fp2', '{"x":2}');
    await state.setSource('fp1', undefined);
    t.same([...(await state.listSources())], [['fp2', '{"x":2}']]);
  });
}

t.test('RedisRouterState survives a new connection', async (t) => {
  const keyPrefix = `${uniqueName('test')}:router:`;
  const first = new RedisRouterState(testServices.redisUrl, { keyPrefix });
  await first.writeGroup('g', { meta: '{"sequence":3}', changed: new Map([['fp', 'entry']]), removed: [], dueAt: 5 });
  await first.close();
  const second = new RedisRouterState(testServices.redisUrl, { keyPrefix });
  t.teardown(() => second.close());
  t.equal((await second.readGroup('g')).meta, '{"sequence":3}', 'a restarted router reads the group');
  t.same(await second.dueGroups(5, 10), ['g']);

  const redis = new Redis(testServices.redisUrl);
  t.teardown(() => redis.quit());
  t.same((await redis.keys(`${keyPrefix}*`)).sort(), [`${keyPrefix}due`, `${keyPrefix}group:g`], 'keys under the prefix');
});
