/**
 * Memory and CPU of the dead-man's switch for many agents. One dead-man
 * group gives every agent an absent() rule, and every agent reports one
 * sample per round.
 *
 *   npm run bench:deadman -- [--agents 100000,1000000]
 *
 * The npm script runs Node with --expose-gc, without which the heap figures
 * include garbage.
 *
 * Prints, per fleet size: heap bytes per tracked agent, CPU time per
 * agent report (RuleEngine.observe), and CPU time of a tick when no
 * deadline is due and when 1 % of the agents go silent at once.
 */
import { parseArgs } from 'node:util';
import { ManualClock } from '../pipeline/clock/index.js';
import type { IngestedBatch } from '../pipeline/messages/metric-batch.js';
import { processorConfigSchema } from '../processors/config.js';
import { RuleEngine } from '../processors/rules/engine.js';
import { loadRuleSet } from '../processors/rules/rule-set.js';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '100000,1000000' } } });
const sizes = values.agents!.split(',').map(Number);
if (!sizes.every((size) => Number.isInteger(size) && size >= 1)) throw new Error(`--agents must be positive integers separated by commas, found ${JSON.stringify(values.agents)}`);

const T0 = Date.parse('2026-01-01T00:00:00Z');
const INTERVAL_MS = 10_000;

function heapUsed(): number {
  global.gc?.();
  global.gc?.();
  return process.memoryUsage().heapUsed;
}

function cpuMs(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1_000;
}

const config = processorConfigSchema.parse({ deadman: [{ name: 'AgentDown', timeout: '60s' }] });
const ruleSet = loadRuleSet({ files: [], deadman: config.deadman, receivers: [], maxWindowMs: config.max_window });
if (!ruleSet.ok) throw new Error('the dead-man group did not compile');

console.log(`dead-man bench: Node ${process.version}, --expose-gc ${typeof global.gc === 'function' ? 'on' : 'off (memory figures include garbage)'}`);
console.log('agents     heap/agent  observe CPU/report  tick CPU (none due)  tick CPU (1 % due)  alerts');

for (const size of sizes) {
  const clock = new ManualClock(T0);
  const engine = new RuleEngine(ruleSet.rules, { allowedLatenessMs: 60_000, clock });
  const batch: IngestedBatch = { version: 1, agentId: '', tags: {}, receivedAt: T0, samples: [{ metric: 'load1', value: 0.5, ts: T0, labels: {} }] };
  const ids = Array.from({ length: size }, (_, i) => `agent-${i}`);

  const before = heapUsed();
  const round = (silent: (i: number) => boolean): number =>
    cpuMs(() => {
      const now = clock.now();
      for (let i = 0; i < size; i++) {
        if (silent(i)) continue;
        batch.agentId = ids[i]!;
        batch.receivedAt = now;
        batch.samples[0]!.ts = now;
        engine.observe(batch);
      }
    });

  round(() => false);
  const heapPerAgent = (heapUsed() - before) / size;

  await clock.advance(INTERVAL_MS);
  const observeMs = round(() => false);
  const idleTickMs = cpuMs(() => engine.tick());

  // 1 % stop reporting, so their deadlines fall due together 60 s after their last batch.
  for (let step = 0; step < 6; step++) {
    await clock.advance(INTERVAL_MS);
    round((i) => i % 100 === 0);
  }
  await clock.advance(INTERVAL_MS);
  let alerts = 0;
  const dueTickMs = cpuMs(() => {
    alerts = engine.tick().length;
  });

  console.log(
    `${String(size).padEnd(10)} ${`${heapPerAgent.toFixed(0)} B`.padEnd(11)} ${`${((observeMs * 1_000) / size).toFixed(2)} µs`.padEnd(19)} ${`${idleTickMs.toFixed(3)} ms`.padEnd(20)} ${`${dueTickMs.toFixed(1)} ms`.padEnd(19)} ${alerts}`,
  );
}
