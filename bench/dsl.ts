/**
 * Evaluations per second of compiled rule conditions over 10,000 series on
 * one core (this process runs on one thread).
 *
 *   npm run bench:dsl
 *
 * Two measures. The first times the compiled closures alone, with window
 * aggregates precomputed. The second times the windowed condition with an
 * incremental window: each evaluation also adds the series' new sample to a
 * real 5-minute sliding window (processors/windows) and advances it, as the
 * engine does. The floor of the windowed condition applies to the second.
 */
import { cpus } from 'node:os';
import { buildCondition, type CompiledCondition, type EvalContext } from '../grammar/compile.js';
import { createWindow, type SlidingWindow } from '../processors/windows/index.js';

const SERIES = 10_000;
const WARMUP_MS = 500;
const RUN_MS = 1_000;
const RUNS = 5;

/** Minimum evaluations per second per figure. The windowed condition's floor applies to its run with an incremental window. */
const FLOORS: Record<string, number> = {
  'cpu_usage > 90': 5_000_000,
  'avg(cpu_usage, 5m) > 80 (incremental window)': 1_000_000,
};

/**
 * One context object for all series: the loop moves `index`, so evaluating a
 * series allocates nothing. Values sit in flat typed arrays, slot-major per
 * series, as an engine would keep them.
 */
class SeriesContext implements EvalContext {
  index = 0;
  private readonly latestValues: Float64Array;
  private readonly windowValues: Float64Array;
  private readonly tagValues: Array<string | undefined>;

  constructor(private readonly condition: CompiledCondition) {
    const selectors = Math.max(condition.selectors.length, 1);
    const windows = Math.max(condition.windows.length, 1);
    const tags = Math.max(condition.tags.length, 1);
    this.latestValues = new Float64Array(SERIES * selectors);
    this.windowValues = new Float64Array(SERIES * windows);
    this.tagValues = new Array<string | undefined>(SERIES * tags);
    // A deterministic spread of values around the thresholds, so that some
    // series fire and some do not, and branches are not all taken one way.
    for (let series = 0; series < SERIES; series++) {
      for (let slot = 0; slot < selectors; slot++) this.latestValues[series * selectors + slot] = (series * 37) % 100;
      for (let slot = 0; slot < windows; slot++) this.windowValues[series * windows + slot] = (series * 53) % 100;
      for (let slot = 0; slot < tags; slot++) this.tagValues[series * tags + slot] = series % 3 === 0 ? 'prod' : 'dev';
    }
  }

  latest(selector: number): number {
    return this.latestValues[this.index * this.condition.selectors.length + selector]!;
  }

  window(slot: number): number {
    return this.windowValues[this.index * this.condition.windows.length + slot]!;
  }

  tag(slot: number): string | undefined {
    return this.tagValues[this.index * this.condition.tags.length + slot];
  }
}

/** Evaluates every series once per pass until `durationMs` passes; returns evaluations per second and the firing count. */
function measure(condition: CompiledCondition, context: SeriesContext, durationMs: number): { rate: number; firing: number } {
  let evaluations = 0;
  let firing = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let series = 0; series < SERIES; series++) {
      context.index = series;
      if (condition.evaluate(context)) firing++;
    }
    evaluations += SERIES;
    elapsed = performance.now() - started;
  }
  return { rate: evaluations / (elapsed / 1000), firing: firing / (evaluations / SERIES) };
}

function compile(source: string): { condition: CompiledCondition; context: SeriesContext } {
  const built = buildCondition(source);
  if (built.condition === undefined) throw new Error(`${source}: ${built.issues.map((issue) => issue.message).join('; ')}`);
  return { condition: built.condition, context: new SeriesContext(built.condition) };
}

function bench(source: string, condition: CompiledCondition, context: SeriesContext): { source: string; median: number; firing: number } {
  const rates: number[] = [];
  let firing = 0;
  for (let run = 0; run < RUNS; run++) {
    const result = measure(condition, context, RUN_MS);
    rates.push(result.rate);
    firing = result.firing;
  }
  rates.sort((a, b) => a - b);
  return { source, median: rates[Math.floor(RUNS / 2)]!, firing };
}

const cpu = cpus();
console.log(`machine: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores; node ${process.version}; one thread`);
console.log(`${SERIES} series, median of ${RUNS} runs of ${RUN_MS} ms after ${WARMUP_MS} ms of warm-up per condition`);
console.log('first table: closures alone, windowed aggregates precomputed\n');

const SOURCES = ['cpu_usage > 90', 'avg(cpu_usage, 5m) > 80', 'avg(cpu_usage, 5m) > 80 and tag.env == "prod"', 'zscore(cpu_usage, 1h) > 3 or absent(5m)'];
const compiled = SOURCES.map(compile);
// Warm every condition up through the same call sites before measuring any:
// an engine evaluates many rules, so its call sites see many closures, and
// measuring the first condition alone would report a single-closure best case.
for (const { condition, context } of compiled) measure(condition, context, WARMUP_MS);

let belowFloor = false;
const report = (label: string, rate: number, firing: number): void => {
  const floor = FLOORS[label];
  let verdict = '';
  if (floor !== undefined) {
    const met = rate >= floor;
    if (!met) belowFloor = true;
    verdict = `  (floor ${(floor / 1e6).toFixed(0)}M/s: ${met ? 'met' : 'MISSED'})`;
  }
  console.log(`${label.padEnd(50)} ${(rate / 1e6).toFixed(1).padStart(6)} M evaluations/s, ${firing} of ${SERIES} firing${verdict}`);
};

for (const [index, source] of SOURCES.entries()) {
  const result = bench(source, compiled[index]!.condition, compiled[index]!.context);
  report(source, result.median, result.firing);
}

/**
 * The windowed condition with a real sliding window per series: every
 * evaluation adds one sample 10 s of event time after the previous one,
 * advances the window and evaluates. After the first 30 samples the window
 * is full, so each add also evicts one sample.
 */
class WindowedContext implements EvalContext {
  /** The sliding window of the series being evaluated. */
  current!: SlidingWindow;
  latest(): number {
    return Number.NaN;
  }
  window(): number {
    return this.current.value();
  }
  tag(): string | undefined {
    return undefined;
  }
}
const windowed = compile('avg(cpu_usage, 5m) > 80').condition;
const windows = Array.from({ length: SERIES }, () => createWindow({ fn: 'avg', rangeMs: 300_000 }));
const context = new WindowedContext();

let now = Date.parse('2026-01-01T00:00:00Z');
const pass = (): number => {
  let firing = 0;
  now += 10_000;
  for (let series = 0; series < SERIES; series++) {
    const sliding = windows[series]!;
    sliding.add(now, (series * 53 + now / 10_000) % 100);
    sliding.advance(now);
    context.current = sliding;
    if (windowed.evaluate(context)) firing++;
  }
  return firing;
};
for (let i = 0; i < 40; i++) pass();

const rates: number[] = [];
let lastFiring = 0;
for (let run = 0; run < RUNS; run++) {
  let evaluations = 0;
  const started = performance.now();
  while (performance.now() - started < RUN_MS) {
    lastFiring = pass();
    evaluations += SERIES;
  }
  rates.push(evaluations / ((performance.now() - started) / 1000));
}
rates.sort((a, b) => a - b);
console.log('');
report('avg(cpu_usage, 5m) > 80 (incremental window)', rates[Math.floor(RUNS / 2)]!, lastFiring);
process.exitCode = belowFloor ? 1 : 0;
