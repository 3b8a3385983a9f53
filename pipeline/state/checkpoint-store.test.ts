import t from 'tap';
import { testServices, uniqueName } from '../test-support/services.js';
import { type CheckpointStore, MemoryCheckpointStore, RedisCheckpointStore } from './checkpoint-store.js';

const stores: Array<[string, () => CheckpointStore]> = [
  ['MemoryCheckpointStore', () => new MemoryCheckpointStore()],
  ['RedisCheckpointStore', () => new RedisCheckpointStore(testServices.redisUrl, `${uniqueName('test')}:`)],
];

for (const [name, make] of stores) {
  t.test(`${name} saves incrementally`, async (t) => {
    const store = make();
    t.teardown(() => store.close());
    t.equal(await store.load('processor', 0), undefined, 'nothing before the first save');

    await store.save('processor', 0, { offset: '10', savedAt: 1_000, changed: new Map([['a', '{"n":1}'], ['b', '{"n":2}']]) });
    await store.save('processor', 0, { offset: '20', savedAt: 2_000, changed: new Map([['a', '{"n":3}']]), removed: ['b'] });

    const checkpoint = await store.load('processor', 0);
    t.equal(checkpoint?.offset, '20');
    t.equal(checkpoint?.savedAt, 2_000);
    t.same([...checkpoint!.entries], [['a', '{"n":3}']]);
    t.equal(await store.load('processor', 1), undefined, 'partitions are separate');
    t.equal(await store.load('other', 0), undefined, 'scopes are separate');
  });
}
