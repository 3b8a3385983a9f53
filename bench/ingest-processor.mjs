// Artillery processor for bench/ingest.yml: builds the v1 metric batches and
// records the responses of the measured phase as custom metrics, because
// artillery's own counters and percentiles cover the warm-up phase as well.
//
// Artillery loads a processor ending in .mjs with import(); a .js file here
// would be loaded with require() and fail, because bench/ is "type": "module".

import { readFileSync } from 'node:fs';

/** Samples per batch: 20 metrics with 5 label sets each, like per-core CPU figures. */
const SAMPLES_PER_BATCH = 100;
const METRICS = 20;

/** Prefix of the custom metrics in artillery's report; bench/ingest.ts reads them. */
const MEASURED_PREFIX = 'ingest.measured';

/** Reads a whole number of at least `min` from the environment, so that a typo fails the run at once. */
function readSetting(name, min) {
  const text = process.env[name];
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(value) || value < min) {
    throw new Error(`${name} is ${text === undefined ? 'not set' : JSON.stringify(text)}; expected a whole number of at least ${min} (bench/ingest.yml lists the variables)`);
  }
  return value;
}

const warmUpMs = readSetting('FLEETPULSE_BENCH_WARM_UP', 1) * 1_000;
const measuredMs = readSetting('FLEETPULSE_BENCH_DURATION', 1) * 1_000;
const agentCount = readSetting('FLEETPULSE_BENCH_AGENTS', 1);

// The names cpu_usage and disk_used_pct match the threshold rules of
// config/embedded.yml and config/distributed.yml, so the rule engine
// evaluates real rules. Values stay below their thresholds of 90, so no
// alert fires and the benchmark measures ingest, not notification delivery.
const METRIC_NAMES = [
  'cpu_usage',
  'disk_used_pct',
  ...Array.from({ length: METRICS - 2 }, (_, i) => `bench_metric_${i}`),
];
const AGENT_IDS = Array.from({ length: agentCount }, (_, i) => `bench-agent-${String(i).padStart(5, '0')}`);

/**
 * Access token per agent id, from the JSON file that bench/ingest.ts writes
 * after POST /oauth/token for each agent. The gateway rejects a batch
 * without its agent's token.
 */
const TOKENS = process.env.FLEETPULSE_BENCH_TOKENS ? JSON.parse(readFileSync(process.env.FLEETPULSE_BENCH_TOKENS, 'utf8')) : {};
for (const agentId of AGENT_IDS) {
  if (!TOKENS[agentId]) throw new Error(`no access token for ${agentId} in FLEETPULSE_BENCH_TOKENS (${process.env.FLEETPULSE_BENCH_TOKENS ?? 'not set'}); bench/ingest.yml lists the variables`);
}
const TAGS = [
  { env: 'prod', region: 'eu-west' },
  { env: 'prod', region: 'us-east' },
  { env: 'staging', region: 'eu-west' },
];

/**
 * Start of this artillery worker's first request. The measured window runs
 * from warmUpMs to warmUpMs + measuredMs after it. The warm-up phase starts
 * its first virtual user one arrival interval after the phase begins and its
 * last one at the phase's end, so every user is running when the window opens.
 */
let firstRequestAt;
let batchNumber = 0;

/** beforeRequest hook: sets the body to a fresh batch of one agent, with every timestamp at the current time. */
export function buildBatch(requestParams, context, _events, next) {
  const now = Date.now();
  firstRequestAt ??= now;
  // Round robin over the agents, so every bus partition gets batches.
  const agent = batchNumber % AGENT_IDS.length;
  batchNumber++;

  const samples = new Array(SAMPLES_PER_BATCH);
  for (let i = 0; i < SAMPLES_PER_BATCH; i++) {
    samples[i] = {
      metric: METRIC_NAMES[i % METRICS],
      value: (agent * 7 + i * 13 + batchNumber) % 80,
      ts: now,
      labels: { core: String(Math.floor(i / METRICS)) },
    };
  }

  requestParams.body = JSON.stringify({ version: 1, agentId: AGENT_IDS[agent], tags: TAGS[agent % TAGS.length], samples });
  requestParams.headers = { ...requestParams.headers, authorization: `Bearer ${TOKENS[AGENT_IDS[agent]]}` };
  context.vars.measured = now - firstRequestAt >= warmUpMs;
  next();
}

/** afterResponse hook: counts the status and records the latency of each request sent in the measured phase. */
export function recordResponse(_requestParams, response, context, events, next) {
  if (context.vars.measured) {
    events.emit('counter', `${MEASURED_PREFIX}.status.${response.statusCode}`, 1);
    // Total time from the start of the request to the end of the response,
    // which is what an agent waits for.
    events.emit('histogram', `${MEASURED_PREFIX}.latency`, response.timings.phases.total);
  }
  next();
}

/** whileTrue condition of the scenario's loop: each virtual user posts until the measured phase ends. */
export function beforeEnd(_context, next) {
  next(Date.now() < (firstRequestAt ?? Date.now()) + warmUpMs + measuredMs);
}
