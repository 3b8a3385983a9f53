import t from 'tap';
import { seriesKey } from '../pipeline/state/agent-registry.js';
import { labelSetKey } from './label-set.js';

t.test('labelSetKey is canonical', async (t) => {
  t.equal(labelSetKey({}), '{}');
  t.equal(labelSetKey({ mount: '/data', fs: 'ext4' }), '{fs="ext4",mount="/data"}');
  t.equal(labelSetKey({ fs: 'ext4', mount: '/data' }), labelSetKey({ mount: '/data', fs: 'ext4' }), 'key order does not matter');
  t.equal(labelSetKey({ path: 'a"b\\c\n' }), '{path="a\\"b\\\\c\\n"}', 'values are JSON-quoted');
});

t.test('labelSetKey matches the agent registry series key', async (t) => {
  const labels = { core: '3', mode: 'user', Zone: 'b' };
  t.equal(`cpu${labelSetKey(labels)}`, seriesKey('cpu', labels));
});
