/**
 * A first-in, first-out queue of fixed capacity that evicts its oldest item
 * to make room for a new one. Push and shift cost O(1) per item.
 */
export class RingBuffer<T> {
  private readonly items: Array<T | undefined>;
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, found ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Appends `item`; returns true when the buffer was full and the oldest item was evicted. */
  push(item: T): boolean {
    const tail = (this.head + this.size) % this.capacity;
    this.items[tail] = item;
    if (this.size < this.capacity) {
      this.size++;
      return false;
    }
    this.head = (this.head + 1) % this.capacity;
    return true;
  }

  /** Removes and returns up to `count` items from the front, oldest first. */
  shift(count: number): T[] {
    const removed: T[] = [];
    const total = Math.min(count, this.size);
    for (let i = 0; i < total; i++) {
      removed.push(this.items[this.head] as T);
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.size -= total;
    return removed;
  }
}
