import t from 'tap';
import { ManualClock } from '../clock/index.js';
import { BusUnavailableError } from './bus.js';
import { busContract } from './contract.js';
import { MemoryBus } from './memory-bus.js';

busContract(t, async (topics) => new MemoryBus({ topics, capacityPerPartition: 1_000, publishTimeoutMs: 1_000 }));

t.test('MemoryBus full partition rejects after timeout', async (t) => {
  const clock = new ManualClock(0);
  const bus = new MemoryBus({ topics: [{ name: 'm', partitions: 1 }], capacityPerPartition: 2, publishTimeoutMs: 500, clock });
  await bus.publish('m', [{ key: 'a', value: '1' }, { key: 'a', value: '2' }]);

  const blocked = t.rejects(bus.publish('m', [{ key: 'a', value: '3' }]), BusUnavailableError);
  await clock.advance(500);
  await blocked;
  t.equal(bus.retained('m'), 2, 'the rejected record was not appended');
});

t.test('MemoryBus publisher waits for room', async (t) => {
  const clock = new ManualClock(0);
  const bus = new MemoryBus({ topics: [{ name: 'm', partitions: 1 }], capacityPerPartition: 2, publishTimeoutMs: 10_000, clock });
  await bus.publish('m', [{ key: 'a', value: '1' }, { key: 'a', value: '2' }]);
  const waiting = bus.publish('m', [{ key: 'a', value: '3' }]);

  const handled: string[] = [];
  await bus.subscribe({ topic: 'm', group: 'g', handle: async (records) => void handled.push(...records.map((r) => r.value)) });
  await waiting;
  await clock.advance(1);
  t.same(handled.slice(0, 2), ['1', '2']);
  await bus.close();
});

t.test('MemoryBus keeps records until every group handled them', async (t) => {
  const bus = new MemoryBus({ topics: [{ name: 'm', partitions: 1 }], capacityPerPartition: 10, publishTimeoutMs: 100 });
  let slowRelease!: () => void;
  const slowGate = new Promise<void>((resolve) => (slowRelease = resolve));
  await bus.subscribe({ topic: 'm', group: 'fast', handle: async () => {} });
  await bus.subscribe({ topic: 'm', group: 'slow', handle: () => slowGate });

  await bus.publish('m', [{ key: 'a', value: '1' }]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(bus.retained('m'), 1, 'kept while the slow group is busy');

  slowRelease();
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(bus.retained('m'), 0, 'dropped once both groups handled it');
  await bus.close();
});

t.test('MemoryBus rejects unknown topic', async (t) => {
  const bus = new MemoryBus({ topics: [], capacityPerPartition: 10, publishTimeoutMs: 100 });
  await t.rejects(bus.publish('nope', [{ key: 'a', value: '1' }]), /unknown topic nope/);
});
