/**
 * Measures the dashboard role's diff engine under a fleet of 10,000 agents
 * that each report every 10 s. The first figure is the CPU time to apply the
 * batches, refresh the statuses, take a diff every push interval and encode
 * it as JSON. The others are the bytes per second that one page receives and
 * the size and build time of the first snapshot a page gets. Time is
 * simulated, so a minute of traffic takes well under a second of CPU time on
 * one thread (0.4 s in the recorded baseline).
 *
 *   npm run bench:dashboard [-- --agents 10000 --seconds 60 --record-baseline --strict]
 *
 * Prints the figures and their ratio to bench/dashboard-baseline.json.
 * `--strict` exits 1 when the CPU time per simulated second exceeds the
 * baseline by more than 25 % or the bytes per second by more than 10 %.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { FleetState } from '../dashboard/fleet-state.js';
import { DeadmanThresholds } from '../dashboard/status.js';
import type { DiffMessage } from '../dashboard/client/protocol.js';
import type { AlertEvent } from '../pipeline/messages/alert-event.js';
import type { IngestedBatch, Sample } from '../pipeline/messages/metric-batch.js';

const { values: options } = parseArgs({
  options: {
    agents: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '60' },
    'record-baseline': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
  },
});

const AGENTS = Number(options.agents);
const MEASURED_SECONDS = Number(options.seconds);
if (!Number.isInteger(AGENTS) || AGENTS < 1) throw new Error(`--agents must be a positive integer, found ${JSON.stringify(options.agents)}`);
if (!Number.isInteger(MEASURED_SECONDS) || MEASURED_SECONDS < 1) throw new Error(`--seconds must be a positive integer, found ${JSON.stringify(options.seconds)}`);
const REPORT_INTERVAL_MS = 10_000;
const PUSH_INTERVAL_MS = 250;
const SPARKLINE_POINTS = 30;
/** Alert transitions per simulated second: a firing or resolution of a HighCPU alert. */
const ALERT_TRANSITIONS_PER_SECOND = 5;
const BASELINE_FILE = new URL('./dashboard-baseline.json', import.meta.url);
const T0 = Date.parse('2026-01-01T00:00:00Z');

interface Figures {
  agents: number;
  /** CPU ms spent per simulated second: batches applied, statuses refreshed, diffs taken and encoded. */
  cpuMsPerSecond: number;
  /** Encoded diff bytes per simulated second, as one page receives them. */
  bytesPerSecond: number;
  diffsPerSecond: number;
  /** Agents carried per diff, on average. */
  agentsPerDiff: number;
  snapshotBytes: number;
  snapshotMs: number;
}

/** Builds a deterministic batch of 10 samples, as an agent sends them: the four dashboard metrics (disk_used_pct for two mounts) and five others. */
function batch(agent: number, round: number, receivedAt: number): IngestedBatch {
  const ts = receivedAt - 5;
  const wave = Math.sin((agent + round) / 7);
  const samples: Sample[] = [
    { metric: 'cpu_usage', value: 40 + 30 * wave, ts, labels: {} },
    { metric: 'mem_used_pct', value: 55 + 5 * wave, ts, labels: {} },
    { metric: 'disk_used_pct', value: 61.5, ts, labels: { mount: '/' } },
    { metric: 'disk_used_pct', value: 20 + (agent % 50), ts, labels: { mount: '/data' } },
    { metric: 'latency_ms', value: 0.4 + Math.abs(wave), ts, labels: { target: '10.0.0.1:443' } },
    { metric: 'load1', value: 1.2, ts, labels: {} },
    { metric: 'load5', value: 1.1, ts, labels: {} },
    { metric: 'load15', value: 1.0, ts, labels: {} },
    { metric: 'net_rx_bytes_per_s', value: 1_000 * (agent % 9), ts, labels: { iface: 'eth0' } },
    { metric: 'probe_success', value: 1, ts, labels: { target: '10.0.0.1:443' } },
  ];
  return { version: 1, agentId: `host-${String(agent).padStart(6, '0')}`, tags: { env: agent % 4 === 0 ? 'staging' : 'prod', region: `r${agent % 3}`, role: agent % 10 === 0 ? 'db' : 'web' }, receivedAt, samples };
}

function alert(index: number, at: number, firing: boolean): AlertEvent {
  const agentId = `host-${String((index * 7919) % AGENTS).padStart(6, '0')}`;
  return {
    version: 1,
    fingerprint: `HighCPU:${agentId}`,
    sequence: 1,
    rule: 'HighCPU',
    state: firing ? 'firing' : 'resolved',
    severity: 'critical',
    agentId,
    labels: { alertname: 'HighCPU', agent: agentId },
    tags: {},
    annotations: { summary: `CPU on ${agentId} above 90% for 3 minutes` },
    value: 95,
    activeAt: at - 180_000,
    at,
    notify: [],
  };
}

function run(): Figures {
  const fleet = new FleetState({
    sparklinePoints: SPARKLINE_POINTS,
    defaultIntervalMs: REPORT_INTERVAL_MS,
    lateIntervals: 2,
    thresholds: new DeadmanThresholds([{ name: 'DatabaseSilent', match: { role: 'db' }, matchRe: {}, timeoutMs: 60_000 }], 120_000),
    deadmanRules: new Set(['DatabaseSilent']),
    forgetAfterMs: 86_400_000,
  });

  // Every agent reports once per interval, spread evenly over it.
  const spacing = REPORT_INTERVAL_MS / AGENTS;
  let next = 0;
  let round = 0;
  let alertIndex = 0;
  let now = T0;

  const advance = (): { cpuMs: number; bytes: number; diffs: number; agents: number } => {
    const started = process.cpuUsage();
    now += PUSH_INTERVAL_MS;
    while (T0 + round * REPORT_INTERVAL_MS + next * spacing <= now) {
      fleet.recordBatch(batch(next, round, T0 + round * REPORT_INTERVAL_MS + next * spacing));
      next += 1;
      if (next === AGENTS) {
        next = 0;
        round += 1;
      }
    }
    // Applies every transition due by now, so that a fractional count per tick (1.25 at the defaults) adds up to the rate.
    const transitions = Math.floor(((now - T0) * ALERT_TRANSITIONS_PER_SECOND) / 1_000);
    for (; alertIndex < transitions; alertIndex++) fleet.recordAlert(alert(Math.floor(alertIndex / 2), now, alertIndex % 2 === 0));

    fleet.refresh(now);
    const changes = fleet.takeDiff();
    let bytes = 0;
    let agents = 0;
    if (changes) {
      const message: DiffMessage = { type: 'diff', epoch: 'bench', seq: round, now, ...changes };
      bytes = Buffer.byteLength(JSON.stringify(message));
      agents = (changes.added?.length ?? 0) + (changes.changed?.length ?? 0);
    }
    const used = process.cpuUsage(started);
    return { cpuMs: (used.user + used.system) / 1_000, bytes, diffs: changes ? 1 : 0, agents };
  };

  // Warm-up: every agent is added and fills its sparklines, as in a dashboard that has run for 5 minutes.
  const warmUpTicks = (SPARKLINE_POINTS * REPORT_INTERVAL_MS) / PUSH_INTERVAL_MS;
  for (let i = 0; i < warmUpTicks; i++) advance();

  let cpuMs = 0;
  let bytes = 0;
  let diffs = 0;
  let carried = 0;
  const ticks = (MEASURED_SECONDS * 1_000) / PUSH_INTERVAL_MS;
  for (let i = 0; i < ticks; i++) {
    const tick = advance();
    cpuMs += tick.cpuMs;
    bytes += tick.bytes;
    diffs += tick.diffs;
    carried += tick.agents;
  }

  const snapshotStarted = process.cpuUsage();
  const snapshot = JSON.stringify({ type: 'snapshot', epoch: 'bench', seq: 0, now, settings: { sparklinePoints: SPARKLINE_POINTS, lateIntervals: 2, pollIntervalMs: 2_000 }, ...fleet.snapshot() });
  const snapshotUsed = process.cpuUsage(snapshotStarted);

  return {
    agents: AGENTS,
    cpuMsPerSecond: round1(cpuMs / MEASURED_SECONDS),
    bytesPerSecond: Math.round(bytes / MEASURED_SECONDS),
    diffsPerSecond: round1(diffs / MEASURED_SECONDS),
    agentsPerDiff: round1(carried / Math.max(1, diffs)),
    snapshotBytes: Buffer.byteLength(snapshot),
    snapshotMs: round1((snapshotUsed.user + snapshotUsed.system) / 1_000),
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

const cpu = cpus();
const machine = `${cpu[0]?.model.trim() ?? 'unknown'}, ${cpu.length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`;
console.log(`machine: ${machine}; node ${process.version}; one thread`);
console.log(`${AGENTS} agents reporting every ${REPORT_INTERVAL_MS / 1_000} s (10 samples each), diffs every ${PUSH_INTERVAL_MS} ms, ${ALERT_TRANSITIONS_PER_SECOND} alert transitions/s; ${MEASURED_SECONDS} s measured after ${(SPARKLINE_POINTS * REPORT_INTERVAL_MS) / 1_000} s of warm-up\n`);

const figures = run();
console.log(`diff engine CPU     ${figures.cpuMsPerSecond.toFixed(1).padStart(9)} ms per second of traffic (${((figures.cpuMsPerSecond / 1_000) * 100).toFixed(1)} % of one core)`);
console.log(`encoded diffs       ${(figures.bytesPerSecond / 1024).toFixed(1).padStart(9)} KiB/s per page (${figures.diffsPerSecond} diffs/s, ${figures.agentsPerDiff} agents per diff)`);
console.log(`first snapshot      ${(figures.snapshotBytes / 1024 / 1024).toFixed(2).padStart(9)} MiB, built and encoded in ${figures.snapshotMs} ms of CPU`);

if (options['record-baseline']) {
  writeFileSync(BASELINE_FILE, `${JSON.stringify({ ...figures, machine, node: process.version, recorded: new Date().toISOString().slice(0, 10) }, null, 2)}\n`);
  console.log(`\nrecorded in ${BASELINE_FILE.pathname}`);
} else {
  compareWithBaseline(figures);
}

function compareWithBaseline(current: Figures): void {
  let baseline: Figures & { machine: string; recorded: string };
  try {
    baseline = JSON.parse(readFileSync(BASELINE_FILE, 'utf8')) as typeof baseline;
  } catch {
    console.log('\nno baseline recorded yet; run with --record-baseline');
    return;
  }
  if (baseline.agents !== current.agents) {
    console.log(`\nthe baseline has ${baseline.agents} agents, this run ${current.agents}; not compared`);
    return;
  }
  const cpuRatio = current.cpuMsPerSecond / baseline.cpuMsPerSecond;
  const bytesRatio = current.bytesPerSecond / baseline.bytesPerSecond;
  console.log(`\nbaseline of ${baseline.recorded} (${baseline.machine}): CPU ${(cpuRatio * 100).toFixed(0)} %, bytes ${(bytesRatio * 100).toFixed(0)} % of it`);
  const worse: string[] = [];
  if (cpuRatio > 1.25) worse.push(`CPU per second is ${(cpuRatio * 100).toFixed(0)} % of the baseline`);
  if (bytesRatio > 1.1) worse.push(`bytes per second are ${(bytesRatio * 100).toFixed(0)} % of the baseline`);
  for (const line of worse) console.log(`WARNING: ${line}`);
  if (options.strict && worse.length > 0) process.exitCode = 1;
}
