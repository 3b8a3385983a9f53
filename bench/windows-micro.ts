/**
 * Micro-benchmarks of the incremental sliding windows in processors/windows/,
 * on one core (this process runs on one thread).
 *
 *   npx tsx bench/windows-micro.ts            updates and reads per second
 *   npx tsx bench/windows-micro.ts --memory   bytes held per window
 *
 * Throughput: each function gets 10,000 windows of 5 minutes, fed in a
 * round-robin at one sample every 10 s of event time per window, so each
 * contains 30 samples once warm. An update is what the rule engine does per
 * sample: add, advance to the sample's time and read value(). Reads alone
 * are measured too, as an engine evaluating a condition without new samples
 * would do.
 *
 * Memory: 100,000 windows of one kind, each fed N samples, measured as the
 * growth of V8's heap plus ArrayBuffer memory after a full garbage collection.
 */
import { cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createWindow, type SlidingWindow, type WindowOptions } from '../processors/windows/index.js';

const WINDOWS = 10_000;
const RANGE_MS = 5 * 60_000;
const INTERVAL_MS = 10_000;
const WARMUP_ROUNDS = 60;
const RUN_MS = 1_000;
const RUNS = 5;

/** Floor for updates per second: the windowed condition must evaluate at well over a million per second. */
const UPDATE_FLOOR = 1_000_000;

interface Case {
  label: string;
  options: WindowOptions;
  /** Counters for `rate`, gauges for the others. */
  counter: boolean;
}

const CASES: Case[] = [
  { label: 'avg', options: { fn: 'avg', rangeMs: RANGE_MS }, counter: false },
  { label: 'max', options: { fn: 'max', rangeMs: RANGE_MS }, counter: false },
  { label: 'rate', options: { fn: 'rate', rangeMs: RANGE_MS }, counter: true },
  { label: 'quantile(0.95)', options: { fn: 'quantile', rangeMs: RANGE_MS, param: 0.95 }, counter: false },
];

/** Deterministic gauge values in [0, 100) from a xorshift generator, so runs are comparable. */
const GAUGES = new Float64Array(4096);
let state = 0x9e3779b9;
for (let index = 0; index < GAUGES.length; index++) {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  GAUGES[index] = ((state >>> 0) % 10_000) / 100;
}

class Feed {
  readonly windows: SlidingWindow[];
  private readonly counters = new Float64Array(WINDOWS);
  private round = 0;
  /** Sum of every value read, so the reads cannot be optimized away. */
  checksum = 0;

  constructor(private readonly testCase: Case) {
    this.windows = Array.from({ length: WINDOWS }, () => createWindow(testCase.options));
  }

  /** Feeds one sample to every window at the next 10 s step; returns the updates done. */
  step(): number {
    const now = this.round * INTERVAL_MS;
    const windows = this.windows;
    const counters = this.counters;
    const counter = this.testCase.counter;
    let checksum = 0;
    for (let index = 0; index < WINDOWS; index++) {
      const gauge = GAUGES[(index * 7 + this.round) & 4095]!;
      let value = gauge;
      if (counter) {
        // A counter that grows by the gauge and resets every 1000 steps.
        counters[index] = this.round % 1000 === 0 ? 0 : counters[index]! + gauge;
        value = counters[index]!;
      }
      const window = windows[index]!;
      window.add(now, value);
      window.advance(now);
      checksum += window.value();
    }
    this.checksum += checksum;
    this.round++;
    return WINDOWS;
  }

  /** Reads every window's value once; returns the reads done. */
  read(): number {
    const windows = this.windows;
    let checksum = 0;
    for (let index = 0; index < WINDOWS; index++) checksum += windows[index]!.value();
    this.checksum += checksum;
    return WINDOWS;
  }
}

/** CPU time this process has used, in milliseconds: user plus system, on every thread. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * Repeats `pass` until it has used `durationMs` of CPU time; returns
 * operations per CPU-second. CPU time rather than wall-clock time, so that
 * other processes on a shared machine do not count against the figures.
 */
function measure(pass: () => number, durationMs: number): number {
  let operations = 0;
  const started = cpuMs();
  let elapsed = 0;
  while (elapsed < durationMs) {
    operations += pass();
    elapsed = cpuMs() - started;
  }
  return operations / (elapsed / 1000);
}

function median(pass: () => number): number {
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) rates.push(measure(pass, RUN_MS));
  rates.sort((a, b) => a - b);
  return rates[Math.floor(RUNS / 2)]!;
}

/** Memory of one window of each kind, by samples held. */
async function measureMemory(): Promise<void> {
  // Exposes gc() without a command-line flag, so the script runs under plain `npx tsx`.
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const count = 100_000;
  const rangeMs = 86_400_000;
  const kinds: WindowOptions[] = [
    { fn: 'avg', rangeMs },
    { fn: 'stddev', rangeMs },
    { fn: 'max', rangeMs },
    { fn: 'rate', rangeMs },
    { fn: 'count', rangeMs },
    { fn: 'last', rangeMs },
    { fn: 'quantile', rangeMs, param: 0.95 },
  ];
  const sizes = [0, 30, 32, 128];
  const used = async (): Promise<number> => {
    // V8 frees ArrayBuffer memory on a background sweep after the collection, so wait for it.
    for (let round = 0; round < 3; round++) {
      collect();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };

  console.log(`bytes per window: ${count} windows of each kind, each fed N gauge samples 10 s apart with an advance after each`);
  console.log('(growth of heapUsed + arrayBuffers after full garbage collections)\n');
  console.log(`${'kind'.padEnd(10)}${sizes.map((size) => `N = ${size}`.padStart(10)).join('')}   bytes per sample from N = 32 to 128`);
  // Declared out here and emptied before each baseline: an async function's
  // suspended frame would otherwise keep the previous windows alive.
  let windows: SlidingWindow[] = [];
  for (const options of kinds) {
    const perWindow: number[] = [];
    for (const size of sizes) {
      windows = [];
      const before = await used();
      windows = Array.from({ length: count }, () => createWindow(options));
      for (const [index, window] of windows.entries()) {
        for (let sample = 0; sample < size; sample++) {
          window.add(sample * INTERVAL_MS, GAUGES[(index * 7 + sample) & 4095]!);
          window.advance(sample * INTERVAL_MS);
        }
      }
      // Less the array of windows itself, 8 bytes a slot.
      perWindow.push((await used()) - before);
      perWindow[perWindow.length - 1] = perWindow.at(-1)! / count - 8;
      if (windows.length !== count) throw new Error('the windows were collected before the measurement');
    }
    const slope = (perWindow[3]! - perWindow[2]!) / (128 - 32);
    console.log(`${options.fn.padEnd(10)}${perWindow.map((bytes) => bytes.toFixed(0).padStart(10)).join('')}   ${slope.toFixed(1)}`);
  }
}

function measureThroughput(): void {
  const cpu = cpus();
  console.log(`machine: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores; node ${process.version}; one thread`);
  console.log(`${WINDOWS} windows per function, range ${RANGE_MS / 60_000} m, one sample per window every ${INTERVAL_MS / 1000} s (${RANGE_MS / INTERVAL_MS} in each window), round-robin`);
  console.log(`median of ${RUNS} runs of ${RUN_MS} ms of CPU time; an update is add + advance + value()\n`);

  const feeds = CASES.map((testCase) => new Feed(testCase));
  // Warm every kind up before measuring any: an engine holds windows of many
  // kinds, so the shared call sites see all of them.
  for (const feed of feeds) {
    for (let round = 0; round < WARMUP_ROUNDS; round++) feed.step();
    // The first rounds read NaN from windows with too few samples; count only steady state.
    feed.checksum = 0;
  }

  let belowFloor = false;
  for (const [index, feed] of feeds.entries()) {
    const updates = median(() => feed.step());
    const reads = median(() => feed.read());
    const samplesHeld = feed.windows.reduce((total, window) => total + window.size, 0) / WINDOWS;
    const verdict = updates >= UPDATE_FLOOR ? 'met' : 'MISSED';
    if (updates < UPDATE_FLOOR) belowFloor = true;
    const label = CASES[index]!.label.padEnd(16);
    console.log(
      `${label} ${(updates / 1e6).toFixed(2).padStart(6)} M updates/s  ${(reads / 1e6).toFixed(1).padStart(6)} M reads/s  ${samplesHeld.toFixed(0)} samples held  (floor ${UPDATE_FLOOR / 1e6}M updates/s: ${verdict})`,
    );
    if (!Number.isFinite(feed.checksum)) console.log(`  checksum ${feed.checksum} is not finite: a window returned NaN at steady state`);
  }
  process.exitCode = belowFloor ? 1 : 0;
}

if (process.argv.includes('--memory')) await measureMemory();
else measureThroughput();
