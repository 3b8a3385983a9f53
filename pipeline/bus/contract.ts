import type { Test } from 'tap';
import { eventually, uniqueName } from '../test-support/services.js';
import type { Bus, DeliveredRecord, TopicConfig } from './bus.js';

export type BusFactory = (topics: TopicConfig[]) => Promise<Bus>;

/**
 * The bus contract as tests: each adapter's test file calls this with a
 * factory, so both adapters are held to the same behaviour.
 */
export function busContract(t: Test, makeBus: BusFactory): void {
  const setup = async (t: Test, partitions = 3): Promise<{ bus: Bus; topic: string }> => {
    const topic = uniqueName('contract');
    const bus = await makeBus([{ name: topic, partitions }]);
    await bus.start();
    t.teardown(() => bus.close());
    return { bus, topic };
  };

  t.test('bus keeps per-key order', async (t) => {
    const { bus, topic } = await setup(t);
    const keys = Array.from({ length: 8 }, (_, i) => `agent-${i}`);
    for (let round = 0; round < 25; round++) {
      await bus.publish(topic, keys.map((key) => ({ key, value: JSON.stringify({ key, round }) })));
    }

    const seen = new Map<string, number[]>();
    await bus.subscribe({
      topic,
      group: uniqueName('order'),
      handle: async (records) => {
        for (const record of records) {
          const { key, round } = JSON.parse(record.value) as { key: string; round: number };
          t.equal(record.key, key);
          seen.set(key, [...(seen.get(key) ?? []), round]);
        }
      },
    });

    await eventually(() => ([...seen.values()].every((rounds) => rounds.length === 25) && seen.size === 8 ? true : undefined));
    for (const [key, rounds] of seen) {
      t.same(rounds, Array.from({ length: 25 }, (_, i) => i), `order of ${key}`);
    }
  });

  t.test('bus delivers every record to each group', async (t) => {
    const { bus, topic } = await setup(t);
    const counts = [0, 0];
    for (const index of [0, 1]) {
      await bus.subscribe({
        topic,
        group: uniqueName(`group${index}`),
        handle: async (records) => {
          counts[index]! += records.length;
        },
      });
    }

    await bus.publish(topic, Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: String(i) })));
    await eventually(() => (counts[0] === 30 && counts[1] === 30 ? true : undefined));
    t.same(counts, [30, 30]);
  });

  t.test('bus redelivers a batch whose handler failed', async (t) => {
    const { bus, topic } = await setup(t, 1);
    await bus.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'one', value: String(i) })));

    let calls = 0;
    const handled: string[] = [];
    await bus.subscribe({
      topic,
      group: uniqueName('retry'),
      handle: async (records) => {
        calls++;
        if (calls === 1) throw new Error('handler failed on purpose');
        handled.push(...records.map((record) => record.value));
      },
    });

    await eventually(() => (handled.length >= 10 ? true : undefined));
    t.ok(calls >= 2, 'handler called again after the failure');
    t.same([...new Set(handled)].sort((a, b) => Number(a) - Number(b)), Array.from({ length: 10 }, (_, i) => String(i)));
  });

  t.test('bus resumes a group from its commit', async (t) => {
    const { bus, topic } = await setup(t, 1);
    const group = uniqueName('resume');
    await bus.publish(topic, Array.from({ length: 5 }, (_, i) => ({ key: 'one', value: `first-${i}` })));

    const first: string[] = [];
    const subscription = await bus.subscribe({
      topic,
      group,
      handle: async (records) => {
        first.push(...records.map((record) => record.value));
      },
    });
    await eventually(() => (first.length === 5 ? true : undefined));
    await subscription.close();

    await bus.publish(topic, Array.from({ length: 5 }, (_, i) => ({ key: 'one', value: `second-${i}` })));
    const second: string[] = [];
    await bus.subscribe({
      topic,
      group,
      handle: async (records) => {
        second.push(...records.map((record) => record.value));
      },
    });
    await eventually(() => (second.length >= 5 ? true : undefined));
    t.same(second, Array.from({ length: 5 }, (_, i) => `second-${i}`), 'only records after the commit');
  });

  t.test('bus splits partitions within a group', async (t) => {
    const { bus, topic } = await setup(t, 4);
    const group = uniqueName('split');
    const assigned: number[][] = [[], []];
    const handled = new Map<string, number>();
    const record = (member: number) => async (records: readonly DeliveredRecord[]) => {
      for (const item of records) {
        t.ok(assigned[member]!.includes(item.partition), `member ${member} handles only its partitions`);
        handled.set(item.value, (handled.get(item.value) ?? 0) + 1);
      }
    };

    for (const member of [0, 1]) {
      await bus.subscribe({
        topic,
        group,
        handle: record(member),
        onAssigned: (partitions) => {
          assigned[member]!.push(...partitions);
        },
        onRevoked: (partitions) => {
          assigned[member] = assigned[member]!.filter((p) => !partitions.includes(p));
        },
      });
    }
    await eventually(() => (assigned[0]!.length + assigned[1]!.length === 4 && assigned[1]!.length > 0 ? true : undefined), 60_000, 'both members assigned');

    await bus.publish(topic, Array.from({ length: 40 }, (_, i) => ({ key: `agent-${i}`, value: `v${i}` })));
    await eventually(() => (handled.size === 40 ? true : undefined), 30_000, 'all records handled');
    t.same(
      [...assigned[0]!, ...assigned[1]!].sort(),
      [0, 1, 2, 3],
      'every partition assigned exactly once',
    );
    t.equal([...handled.values()].filter((count) => count > 1).length, 0, 'no record handled twice');
  });

  t.test('bus starts where onAssigned says', async (t) => {
    const { bus, topic } = await setup(t, 1);
    await bus.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'one', value: String(i) })));

    const handled: string[] = [];
    await bus.subscribe({
      topic,
      group: uniqueName('seek'),
      onAssigned: () => new Map([[0, '6']]),
      handle: async (records) => {
        handled.push(...records.map((record) => record.value));
      },
    });
    await eventually(() => (handled.length >= 4 ? true : undefined), 30_000, 'records from offset 6');
    t.same(handled, ['6', '7', '8', '9']);
  });

  t.test('bus finds offsets by time', async (t) => {
    const { bus, topic } = await setup(t, 1);
    await bus.publish(topic, [{ key: 'one', value: 'early' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const middle = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await bus.publish(topic, [{ key: 'one', value: 'late' }]);

    t.same([...(await bus.offsetsForTime(topic, middle))], [[0, '1']], 'the first record at or after the time');
    t.same([...(await bus.offsetsForTime(topic, Date.now() + 60_000))], [[0, '2']], 'the end offset when no record is that new');
  });

  t.test('bus reports subscription lag', async (t) => {
    const { bus, topic } = await setup(t, 1);
    const subscription = await bus.subscribe({ topic, group: uniqueName('lag'), handle: async () => {} });
    await bus.publish(topic, Array.from({ length: 5 }, (_, i) => ({ key: 'one', value: String(i) })));
    const lag = await eventually(() => {
      const current = subscription.lag();
      return current.lastHandledTimestamp > 0 && current.records === 0 ? current : undefined;
    }, 30_000, 'lag back to 0');
    t.equal(lag.records, 0);
    t.ok(lag.lastHandledTimestamp > Date.now() - 60_000, 'last handled timestamp is recent');
  });

  t.test('bus reports itself reachable', async (t) => {
    const { bus } = await setup(t);
    t.equal(await bus.isReachable(), true);
  });
}
