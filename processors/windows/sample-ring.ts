import type { SlidingWindow } from './window.js';

/** Samples a ring has room for after its first growth. It grows and shrinks by doubling from here. */
export const MIN_CAPACITY = 8;

/** The buffer of every window that has held no sample yet. */
export const NO_SAMPLES = new Float64Array(0);

/**
 * The samples of one window in event-time order, in a ring buffer that grows
 * by doubling, and the bookkeeping every window kind shares: admission,
 * eviction, late inserts and the cached aggregate.
 *
 * The buffer is one Float64Array: `2 * capacity` doubles of (time, value)
 * pairs, then `extraPerSample * capacity` doubles that a subclass may use for
 * a structure of at most one entry per held sample (OrderWindow keeps its
 * sorted values there). One array per window keeps the memory overhead and
 * the cache misses of a round-robin over many windows low.
 *
 * Invariants, with offsets counted from the oldest sample held:
 * - samples are sorted by time, and samples with equal times keep their arrival order;
 * - the first `admitted` samples are exactly those with time in (now - range, now],
 *   the ones the aggregate covers; the rest are pending, with time > now;
 * - no sample held has time <= now - range.
 *
 * A subclass keeps its aggregate in step through the hooks `admitNewest`,
 * `admitLate` and `evictOldest`, and computes the value in `refresh`.
 */
export abstract class SampleRing implements SlidingWindow {
  readonly rangeMs: number;
  /** Event time of the last advance in milliseconds; -Infinity before the first. */
  protected now = Number.NEGATIVE_INFINITY;
  /** Number of held samples in the window (time <= now). They are the oldest held samples. */
  protected admitted = 0;

  /**
   * Interleaved (time, value) pairs: the sample at offset i sits at
   * 2 * ((head + i) & (capacity - 1)). The subclass's doubles follow from 2 * capacity.
   */
  protected buffer = NO_SAMPLES;
  /** Samples the buffer has room for: 0 or a power of two. */
  protected capacity = 0;
  private readonly extraPerSample: number;
  private head = 0;
  /** Samples held, admitted and pending. */
  private length = 0;
  /** The aggregate as of the last `refresh`; `value` returns it while the window is unchanged. */
  protected cached = Number.NaN;
  private stale = true;

  constructor(rangeMs: number, extraPerSample = 0) {
    this.rangeMs = rangeMs;
    this.extraPerSample = extraPerSample;
  }

  get size(): number {
    return this.length;
  }

  add(ts: number, value: number): boolean {
    if (!Number.isFinite(ts) || !Number.isFinite(value)) {
      throw new RangeError(`invalid sample (${ts}, ${value}): the time and the value must be finite numbers`);
    }
    if (ts <= this.now - this.rangeMs) return false;
    if (this.length === this.capacity) this.resize(Math.max(MIN_CAPACITY, this.capacity * 2));

    const length = this.length;
    if (length === 0 || ts >= this.timeAt(length - 1)) {
      this.write(length, ts, value);
      this.length = length + 1;
      // Every held sample is at or before ts, so with ts <= now all of them are admitted.
      if (ts <= this.now) this.admit();
      return true;
    }

    // A late sample: insert it after every held sample with time <= ts.
    const position = this.upperBound(ts);
    for (let offset = length; offset > position; offset--) {
      this.write(offset, this.timeAt(offset - 1), this.valueAt(offset - 1));
    }
    this.write(position, ts, value);
    this.length = length + 1;
    if (ts <= this.now) {
      // position <= admitted here, because the admitted samples are those with time <= now.
      this.admitted++;
      this.stale = true;
      if (position === this.admitted - 1) this.admitNewest();
      else this.admitLate(position);
    }
    return true;
  }

  advance(now: number): void {
    if (!Number.isFinite(now)) throw new RangeError(`invalid time ${now}: it must be a finite number`);
    // The window never moves back: a sample it evicted is gone.
    if (now <= this.now) return;
    this.now = now;

    const start = now - this.rangeMs;
    while (this.length > 0 && this.timeAt(0) <= start) {
      if (this.admitted > 0) {
        this.evictOldest();
        this.admitted--;
        this.stale = true;
      }
      this.head = (this.head + 1) & (this.capacity - 1);
      this.length--;
    }
    while (this.admitted < this.length && this.timeAt(this.admitted) <= now) this.admit();
    // Growth at full and shrinking at a quarter leave room for the count to swing by 2x without a resize.
    if (this.capacity > MIN_CAPACITY && this.length <= this.capacity / 4) this.resize(this.capacity / 2);
  }

  value(): number {
    if (this.stale) {
      this.refresh();
      this.stale = false;
    }
    return this.cached;
  }

  /** Time of the held sample at `offset` from the oldest. */
  protected timeAt(offset: number): number {
    return this.buffer[((this.head + offset) & (this.capacity - 1)) << 1]!;
  }

  /** Value of the held sample at `offset` from the oldest. */
  protected valueAt(offset: number): number {
    return this.buffer[(((this.head + offset) & (this.capacity - 1)) << 1) + 1]!;
  }

  /**
   * Drops the `count` oldest admitted samples without calling `evictOldest`:
   * for kinds whose value needs only the newest sample.
   */
  protected discardOldest(count: number): void {
    this.head = (this.head + count) & (this.capacity - 1);
    this.length -= count;
    this.admitted -= count;
  }

  /** Called after the sample at offset `admitted - 1` joined the window as its newest sample. */
  protected abstract admitNewest(): void;
  /** Called after a late sample joined the window at `offset`, below `admitted - 1`. */
  protected abstract admitLate(offset: number): void;
  /** Called before the sample at offset 0 leaves the window; `admitted` still counts it. */
  protected abstract evictOldest(): void;
  /**
   * Sets `cached` to the aggregate over the admitted samples. It stores rather
   * than returns the number: a double returned from a call that V8 cannot
   * inline (this one is megamorphic) is boxed in a new heap object.
   */
  protected abstract refresh(): void;

  /**
   * Called after a resize moved the samples into `buffer`, so a subclass can
   * move its own doubles from `previous`, whose region began at 2 * previousCapacity.
   */
  protected moveExtra(_previous: Float64Array, _previousCapacity: number): void {}

  private admit(): void {
    this.admitted++;
    this.stale = true;
    this.admitNewest();
  }

  private write(offset: number, ts: number, value: number): void {
    const index = ((this.head + offset) & (this.capacity - 1)) << 1;
    this.buffer[index] = ts;
    this.buffer[index + 1] = value;
  }

  /** Returns the first offset whose time is greater than `ts`, or `length` when there is none. */
  private upperBound(ts: number): number {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.timeAt(middle) <= ts) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Moves the held samples into a new buffer for `capacity` samples (a power of two), oldest first. */
  private resize(capacity: number): void {
    const buffer = new Float64Array(capacity * (2 + this.extraPerSample));
    for (let offset = 0; offset < this.length; offset++) {
      buffer[offset * 2] = this.timeAt(offset);
      buffer[offset * 2 + 1] = this.valueAt(offset);
    }
    const previous = this.buffer;
    const previousCapacity = this.capacity;
    this.buffer = buffer;
    this.capacity = capacity;
    this.head = 0;
    if (this.extraPerSample > 0) this.moveExtra(previous, previousCapacity);
  }
}
