/** An entry of a DeadlineQueue. `index` is its position in the heap, -1 when it is not queued. */
export interface Deadline {
  deadline: number;
  index: number;
}

/**
 * A binary min-heap of deadlines whose entries store their own position, so
 * that moving or removing one costs O(log n). One queue serves every agent's
 * dead-man deadline, where one timer per agent would not scale to a million
 * agents.
 */
export class DeadlineQueue<T extends Deadline> {
  private readonly heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** Queues the entry with a new deadline, or moves it if it is queued already. */
  set(entry: T, deadline: number): void {
    entry.deadline = deadline;
    if (entry.index === -1) {
      entry.index = this.heap.length;
      this.heap.push(entry);
      this.up(entry.index);
      return;
    }
    this.up(entry.index);
    this.down(entry.index);
  }

  remove(entry: T): void {
    const index = entry.index;
    if (index === -1) return;
    const last = this.heap.pop()!;
    entry.index = -1;
    if (last === entry) return;
    this.heap[index] = last;
    last.index = index;
    this.up(index);
    this.down(index);
  }

  /** Removes and returns the entry with the earliest deadline if it is at or before `now`. */
  popDue(now: number): T | undefined {
    const first = this.heap[0];
    if (first === undefined || first.deadline > now) return undefined;
    this.remove(first);
    return first;
  }

  clear(): void {
    for (const entry of this.heap) entry.index = -1;
    this.heap.length = 0;
  }

  private up(index: number): void {
    const entry = this.heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.heap[parentIndex]!;
      if (parent.deadline <= entry.deadline) break;
      this.heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    this.heap[index] = entry;
    entry.index = index;
  }

  private down(index: number): void {
    const entry = this.heap[index]!;
    const length = this.heap.length;
    for (;;) {
      let smallest = index;
      let smallestDeadline = entry.deadline;
      const left = 2 * index + 1;
      const right = left + 1;
      if (left < length && this.heap[left]!.deadline < smallestDeadline) {
        smallest = left;
        smallestDeadline = this.heap[left]!.deadline;
      }
      if (right < length && this.heap[right]!.deadline < smallestDeadline) smallest = right;
      if (smallest === index) break;
      const child = this.heap[smallest]!;
      this.heap[index] = child;
      child.index = index;
      index = smallest;
    }
    this.heap[index] = entry;
    entry.index = index;
  }
}
