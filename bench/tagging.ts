/**
 * Batches per CPU second through the gateway's Tagger with 100 tagging
 * rules, on one thread, compared with the figures recorded in
 * bench/baselines.json.
 *
 *   npm run bench:tagging -- [--agents 10000] [--record-baseline]
 *
 * Two measures. `cached` is the steady state, where every agent's rule and
 * token tags come from the cache. `uncached` gives the cache room for one
 * entry, so every batch evaluates all 100 rules, as in a gateway that has
 * just started or a fleet larger than the cache. Each figure is the median
 * of five runs of one CPU second after a warm-up of half a CPU second.
 */
import { cpus, totalmem } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gatewayConfigSchema } from '../ingest-gateway/config.js';
import { type TagRequest, Tagger } from '../ingest-gateway/tagging/tagger.js';
import { ManualClock } from '../pipeline/clock/index.js';
import { silentLogger } from '../pipeline/log/logger.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '10000' },
    'record-baseline': { type: 'boolean', default: false },
  },
});
const AGENTS = Number(values.agents);
if (!Number.isInteger(AGENTS) || AGENTS < 1) throw new Error(`--agents must be a positive integer, found ${JSON.stringify(values.agents)}`);
const RULES = 100;
const WARM_UP_MS = 500;
const RUN_MS = 1_000;
const RUNS = 5;
/** A figure below this share of its baseline prints a WARNING line. */
const WARNING_RATIO = 0.8;

const baselinesFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'baselines.json');

interface TaggingBaseline {
  cachedBatchesPerCpuSecond: number;
  uncachedBatchesPerCpuSecond: number;
  rules: number;
  agents: number;
  recorded: string;
  machine: string;
}

/**
 * 100 rules in four shapes, as an operator might write them: networks per
 * site (IPv4 and IPv6), agent id prefixes per team, hostname suffixes per
 * environment, and rules that combine an agent id with a network.
 */
function rules(): unknown[] {
  return Array.from({ length: RULES }, (_, k) => {
    switch (k % 4) {
      case 0:
        return { match: { ip: [`10.${k}.0.0/16`, `fd00:${k.toString(16)}::/32`] }, tags: { dc: `dc${k}` } };
      case 1:
        return { match: { agent_id: `team${k}-.*` }, tags: { team: `team${k}` } };
      case 2:
        return { match: { hostname: `.*\\.env${k}\\.example\\.com` }, tags: { env: `env${k}` } };
      default:
        return { match: { agent_id: `.*-${k}`, ip: `10.${k - 3}.0.0/16` }, tags: { rack: `rack${k}` } };
    }
  });
}

/** Builds one request per agent: its own tags, host facts, a peer address and a token's claims, spread over the rules. */
function requests(): TagRequest[] {
  return Array.from({ length: AGENTS }, (_, a) => {
    const k = a % RULES;
    const agentId = `team${k}-${a}`;
    return {
      agentId,
      agentTags: { env: 'prod', service: `svc${a % 50}` },
      host: { hostname: `${agentId}.env${k}.example.com`, os: 'Debian GNU/Linux', osRelease: '12', kernel: '6.1.0-18-amd64', arch: 'x64', platform: 'linux' },
      ip: a % 2 === 0 ? `10.${k}.${(a >> 8) & 255}.${a & 255}` : `fd00:${k.toString(16)}::${a.toString(16)}`,
      principal: { agentId, clientId: `fpc_${a}`, group: `group${a % 10}`, tags: { owner: `owner${a % 20}` } },
    };
  });
}

/** CPU time of this process (user and system) in milliseconds. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1_000;
}

/**
 * Tags every request in turn until `durationMs` of CPU time has passed and
 * returns batches per CPU second. It counts CPU time rather than wall-clock
 * time, so that other work on a shared machine moves the figure less.
 */
function measure(tagger: Tagger, batch: TagRequest[], durationMs: number): number {
  let count = 0;
  let keys = 0;
  const started = cpuMs();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (const request of batch) keys += Object.keys(tagger.tagsFor(request)).length;
    count += batch.length;
    elapsed = cpuMs() - started;
  }
  // Using the result keeps the calls from being optimised away.
  if (keys === 0) throw new Error('the tagger returned no tags');
  return count / (elapsed / 1_000);
}

function median(figures: number[]): number {
  const sorted = [...figures].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function run(cacheSize: number, batch: TagRequest[]): number {
  const config = gatewayConfigSchema.parse({ tagging: { rules: rules() } });
  const tagger = new Tagger(config.tagging, { logger: silentLogger, clock: new ManualClock(0), cacheSize });
  measure(tagger, batch, WARM_UP_MS);
  return median(Array.from({ length: RUNS }, () => measure(tagger, batch, RUN_MS)));
}

async function readBaselines(): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(baselinesFile, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

function compare(name: string, figure: number, baseline: number | undefined): string {
  if (baseline === undefined) return `${name}: no baseline; record one with --record-baseline`;
  const ratio = figure / baseline;
  const line = `${name}: ${ratio.toFixed(2)} of the baseline (${Math.round(baseline).toLocaleString('en-US')} batches per CPU second)`;
  return ratio < WARNING_RATIO ? `WARNING: ${line}` : line;
}

const batch = requests();
const cached = run(AGENTS, batch);
const uncached = run(1, batch);

console.log(`tagging, ${RULES} rules, ${AGENTS.toLocaleString('en-US')} agents, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
console.log(`  cached:   ${Math.round(cached).toLocaleString('en-US')} batches per CPU second`);
console.log(`  uncached: ${Math.round(uncached).toLocaleString('en-US')} batches per CPU second (all ${RULES} rules evaluated per batch)`);

const baselines = await readBaselines();
const baseline = baselines.tagging as TaggingBaseline | undefined;
if (baseline && (baseline.rules !== RULES || baseline.agents !== AGENTS)) {
  console.log(`  the baseline was recorded with ${baseline.rules} rules and ${baseline.agents} agents; not compared`);
} else {
  console.log(`  ${compare('cached', cached, baseline?.cachedBatchesPerCpuSecond)}`);
  console.log(`  ${compare('uncached', uncached, baseline?.uncachedBatchesPerCpuSecond)}`);
}

if (values['record-baseline']) {
  const recorded: TaggingBaseline = {
    cachedBatchesPerCpuSecond: Math.round(cached),
    uncachedBatchesPerCpuSecond: Math.round(uncached),
    rules: RULES,
    agents: AGENTS,
    recorded: new Date().toISOString().slice(0, 10),
    machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
  };
  await writeFile(baselinesFile, `${JSON.stringify({ ...baselines, tagging: recorded }, null, 2)}\n`);
  console.log(`recorded the figures as the tagging baseline in bench/baselines.json`);
}
