import { MIN_CAPACITY, NO_SAMPLES, SampleRing } from './sample-ring.js';

/**
 * `min` and `max`: a monotonic deque of the samples that can still become the
 * extremum, amortized O(1) per sample. It works on `sign * value` (sign -1 for
 * `min`), so both kinds keep the maximum.
 *
 * Invariants, front to back: times increase, and signed values strictly
 * decrease, so the front is the maximum. Every admitted sample not in the
 * deque has a later-or-equal-time deque entry with a value at least as large,
 * which outlives it in the window.
 *
 * A late sample costs O(log d) to place plus O(d) to move entries, where d is
 * the deque's length.
 */
export class ExtremumWindow extends SampleRing {
  private readonly sign: 1 | -1;
  /** Interleaved (time, signed value) entries: entry i sits at 2 * ((dequeHead + i) & (dequeCapacity - 1)). */
  private deque = NO_SAMPLES;
  private dequeCapacity = 0;
  private dequeHead = 0;
  private dequeLength = 0;

  constructor(kind: 'min' | 'max', rangeMs: number) {
    super(rangeMs);
    this.sign = kind === 'max' ? 1 : -1;
  }

  protected admitNewest(): void {
    const offset = this.admitted - 1;
    const value = this.sign * this.valueAt(offset);
    while (this.dequeLength > 0 && this.entryValue(this.dequeLength - 1) <= value) this.dequeLength--;
    if (this.dequeLength === this.dequeCapacity) this.resizeDeque(Math.max(MIN_CAPACITY, this.dequeCapacity * 2));
    this.writeEntry(this.dequeLength, this.timeAt(offset), value);
    this.dequeLength++;
  }

  protected admitLate(offset: number): void {
    const time = this.timeAt(offset);
    const value = this.sign * this.valueAt(offset);

    // next: the first entry after the sample, whose value is the maximum of every later sample.
    let low = 0;
    let high = this.dequeLength;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.entryTime(middle) <= time) low = middle + 1;
      else high = middle;
    }
    const next = low;
    if (next < this.dequeLength && this.entryValue(next) >= value) return;

    // Entries before `next` with values <= value form a run that ends at `next`, and the sample replaces it.
    let first = next;
    while (first > 0 && this.entryValue(first - 1) <= value) first--;
    if (first < next) {
      this.writeEntry(first, time, value);
      const removed = next - first - 1;
      if (removed > 0) {
        for (let index = next; index < this.dequeLength; index++) this.writeEntry(index - removed, this.entryTime(index), this.entryValue(index));
        this.dequeLength -= removed;
      }
      return;
    }

    if (this.dequeLength === this.dequeCapacity) this.resizeDeque(Math.max(MIN_CAPACITY, this.dequeCapacity * 2));
    for (let index = this.dequeLength; index > next; index--) this.writeEntry(index, this.entryTime(index - 1), this.entryValue(index - 1));
    this.writeEntry(next, time, value);
    this.dequeLength++;
  }

  protected evictOldest(): void {
    // The evicted samples are those with time <= start, and the deque entries among them form its front,
    // so popping at most one entry per evicted sample removes all of them.
    const start = this.now - this.rangeMs;
    if (this.dequeLength > 0 && this.entryTime(0) <= start) {
      this.dequeHead = (this.dequeHead + 1) & (this.dequeCapacity - 1);
      this.dequeLength--;
      // Shrink by the window's sample count, which changes slowly, and not by the deque's length,
      // which swings with the values and would resize the deque back and forth.
      if (this.dequeCapacity > MIN_CAPACITY && this.admitted - 1 <= this.dequeCapacity / 4) this.resizeDeque(this.dequeCapacity / 2);
    }
  }

  protected refresh(): void {
    this.cached = this.dequeLength === 0 ? Number.NaN : this.sign * this.entryValue(0);
  }


  private entryTime(index: number): number {
    return this.deque[((this.dequeHead + index) & (this.dequeCapacity - 1)) << 1]!;
  }

  private entryValue(index: number): number {
    return this.deque[(((this.dequeHead + index) & (this.dequeCapacity - 1)) << 1) + 1]!;
  }

  private writeEntry(index: number, time: number, value: number): void {
    const slot = ((this.dequeHead + index) & (this.dequeCapacity - 1)) << 1;
    this.deque[slot] = time;
    this.deque[slot + 1] = value;
  }

  private resizeDeque(capacity: number): void {
    const deque = new Float64Array(capacity * 2);
    for (let index = 0; index < this.dequeLength; index++) {
      deque[index * 2] = this.entryTime(index);
      deque[index * 2 + 1] = this.entryValue(index);
    }
    this.deque = deque;
    this.dequeCapacity = capacity;
    this.dequeHead = 0;
  }
}
