import fc from 'fast-check';
import t from 'tap';
import { type Deadline, DeadlineQueue } from './deadline-queue.js';

interface Entry extends Deadline {
  id: number;
}

const entry = (id: number): Entry => ({ id, deadline: 0, index: -1 });

t.test('DeadlineQueue pops due entries in order', async (t) => {
  const queue = new DeadlineQueue<Entry>();
  const entries = [entry(1), entry(2), entry(3)];
  queue.set(entries[0]!, 30);
  queue.set(entries[1]!, 10);
  queue.set(entries[2]!, 20);

  t.equal(queue.popDue(5), undefined, 'nothing is due yet');
  t.equal(queue.popDue(25)?.id, 2);
  t.equal(queue.popDue(25)?.id, 3);
  t.equal(queue.popDue(25), undefined);
  t.equal(queue.size, 1);
});

t.test('DeadlineQueue moves and removes entries', async (t) => {
  const queue = new DeadlineQueue<Entry>();
  const [a, b] = [entry(1), entry(2)];
  queue.set(a, 10);
  queue.set(b, 20);
  queue.set(a, 30);
  t.equal(queue.popDue(100)?.id, 2, 'a moved behind b');

  queue.remove(a);
  t.equal(a.index, -1);
  t.equal(queue.size, 0);
  queue.remove(a);
  t.equal(queue.size, 0, 'removing twice is harmless');
});

t.test('DeadlineQueue matches a sorted model', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ id: fc.integer({ min: 0, max: 20 }), deadline: fc.integer({ min: 0, max: 1_000 }), remove: fc.boolean() }), { maxLength: 200 }),
      (operations) => {
        const queue = new DeadlineQueue<Entry>();
        const entries = new Map<number, Entry>();
        const model = new Map<number, number>();
        for (const operation of operations) {
          const item = entries.get(operation.id) ?? entry(operation.id);
          entries.set(operation.id, item);
          if (operation.remove) {
            queue.remove(item);
            model.delete(operation.id);
          } else {
            queue.set(item, operation.deadline);
            model.set(operation.id, operation.deadline);
          }
        }
        const popped: number[] = [];
        for (let next = queue.popDue(Infinity); next; next = queue.popDue(Infinity)) popped.push(next.deadline);
        return JSON.stringify(popped) === JSON.stringify([...model.values()].sort((x, y) => x - y));
      },
    ),
  );
  t.pass('heap order equals sorted order');
});
