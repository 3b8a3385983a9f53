/**
 * Evaluations per second of compiled rule conditions over 10,000 series on
 * one core (this process runs on one thread).
 *
 *   npm run build:grammar && npx tsx bench/dsl.ts
 *
 * The windowed condition's EvalContext reads a precomputed aggregate: this
 * measures the compiled closure and the slot interface, not the incremental
 * window, which processors/ owns and benchmarks.
 */
import { cpus } from 'node:os';
import { buildCondition, type CompiledCondition, type EvalContext } from '../grammar/compile.js';

const SERIES = 10_000;
const WARMUP_MS = 500;
const RUN_MS = 1_000;
const RUNS = 5;

/** Floors the figures must beat, in evaluations per second. */
const FLOORS: Record<string, number> = {
  'cpu_usage > 90': 5_000_000,
  'avg(cpu_usage, 5m) > 80': 1_000_000,
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
console.log('windowed conditions read a precomputed aggregate; the incremental window belongs to processors/\n');

const SOURCES = ['cpu_usage > 90', 'avg(cpu_usage, 5m) > 80', 'avg(cpu_usage, 5m) > 80 and tag.env == "prod"', 'zscore(cpu_usage, 1h) > 3 or absent(5m)'];
const compiled = SOURCES.map(compile);
// Warm every condition up through the same call sites before measuring any:
// an engine evaluates many rules, so its call sites see many closures, and
// measuring the first condition alone would report a single-closure best case.
for (const { condition, context } of compiled) measure(condition, context, WARMUP_MS);

let belowFloor = false;
for (const [index, source] of SOURCES.entries()) {
  const result = bench(source, compiled[index]!.condition, compiled[index]!.context);
  const floor = FLOORS[source];
  let verdict = '';
  if (floor !== undefined) {
    const met = result.median >= floor;
    if (!met) belowFloor = true;
    verdict = `  (floor ${(floor / 1e6).toFixed(0)}M/s: ${met ? 'met' : 'MISSED'})`;
  }
  console.log(`${source.padEnd(50)} ${(result.median / 1e6).toFixed(1).padStart(6)} M evaluations/s, ${result.firing} of ${SERIES} firing${verdict}`);
}
process.exitCode = belowFloor ? 1 : 0;
