/**
 * Ingest benchmark: starts `fleetpulse run` for each deployment, loads its
 * gateway with bench/ingest.yml through artillery, and prints requests/s,
 * samples/s, latency percentiles and non-202 responses of the measured phase,
 * compared with bench/baselines.json.
 *
 *   npm run bench:ingest -- [--deployment embedded|distributed]... [--strict] [--record-baseline]
 *
 * Run with --help for every option. The load generator runs on the same
 * machine as the pipeline and competes with it for CPU time.
 */
import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type FleetpulseConfig, loadFleetpulseConfig } from '../pipeline/cli/config.js';
import {
  buildIsStale,
  describeExit,
  freePort,
  readCpuSeconds,
  runCommand,
  runningChildren,
  startCommand,
  stopPipeline,
  summarizeLog,
  waitForExit,
  waitUntilReady,
} from './ingest/processes.js';
import {
  compareWithBaseline,
  describeFigures,
  formatRate,
  type IngestFigures,
  type LoadSettings,
  readArtilleryReport,
  readBaselines,
  SAMPLES_PER_BATCH,
  toBaseline,
  writeBaselines,
} from './ingest/report.js';
import { benchAgentIds, benchCaFile, createBenchCredentials, fetchBenchTokens, getWithLocalCa } from './ingest/credentials.js';
import { countDuckDBSamples, pingRedis, removeDistributedRunData, type Service, startServices, stopServices, waitForQuestDBSamples } from './ingest/services.js';

const USAGE = `Usage: npm run bench:ingest -- [options]

Options:
  --deployment NAME   embedded or distributed; repeat for both (default: embedded, then distributed)
  --warm-up SECONDS   warm-up phase, while the virtual users start (default 15)
  --duration SECONDS  measured phase (default 60)
  --vusers N          virtual users, each with one request in flight (default 16)
  --agents N          distinct agent ids per artillery worker (default 1000)
  --strict            exit 1 when a throughput is below 80 % of its baseline or the store lacks accepted samples
  --record-baseline   store this run's figures in bench/baselines.json
  --help              print this text`;

const DEPLOYMENTS = ['embedded', 'distributed'] as const;
type Deployment = (typeof DEPLOYMENTS)[number];

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(repoRoot, 'bench');
const artilleryBin = path.join(benchDir, 'node_modules', '.bin', 'artillery');
const baselinesFile = path.join(benchDir, 'baselines.json');

/** Readiness includes creating the Kafka topics of a fresh prefix. */
const READY_TIMEOUT_MS = 60_000;
/** The embedded deployment drains its bus for up to 10 s when stopping, and closing the stores takes a few more seconds. */
const STOP_TIMEOUT_MS = 30_000;
/** How long the distributed sink may take to store the Kafka backlog after the load ends. */
const STORE_CATCH_UP_TIMEOUT_MS = 120_000;

/** Result of one deployment's run, for the summary at the end. */
interface RunResult {
  deployment: Deployment;
  figures?: IngestFigures;
  /** CPU time of the pipeline process while artillery ran, warm-up and artillery's startup included. */
  pipelineCpuSeconds?: number;
  /** CPU time of artillery, startup included, read up to a second before it exited. */
  artilleryCpuSeconds?: number;
  /** Problems that make the run's figures untrustworthy. Any of them fails the benchmark. */
  failures: string[];
  /** Findings that fail the benchmark only with --strict. */
  strictFailures: string[];
}

/** Aborted on SIGINT or SIGTERM, so that waits end early and cleanup still runs. */
const interruption = new AbortController();
let artillery: ChildProcess | undefined;

function parseOptions(): { deployments: Deployment[]; settings: LoadSettings; strict: boolean; recordBaseline: boolean } {
  try {
    return readOptions();
  } catch (error) {
    throw new Error(`${(error as Error).message}; run with --help for the options`);
  }
}

function readOptions(): { deployments: Deployment[]; settings: LoadSettings; strict: boolean; recordBaseline: boolean } {
  const { values } = parseArgs({
    options: {
      deployment: { type: 'string', multiple: true },
      'warm-up': { type: 'string', default: '15' },
      duration: { type: 'string', default: '60' },
      vusers: { type: 'string', default: '16' },
      agents: { type: 'string', default: '1000' },
      strict: { type: 'boolean', default: false },
      'record-baseline': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }

  const deployments = (values.deployment ?? [...DEPLOYMENTS]).map((name) => {
    if (!(DEPLOYMENTS as readonly string[]).includes(name)) throw new Error(`invalid --deployment ${JSON.stringify(name)}; expected ${DEPLOYMENTS.join(' or ')}`);
    return name as Deployment;
  });
  const wholeNumber = (option: string, text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`invalid --${option} ${JSON.stringify(text)}; expected a whole number of at least 1`);
    return value;
  };

  return {
    deployments,
    settings: {
      warmUpSeconds: wholeNumber('warm-up', values['warm-up']),
      measuredSeconds: wholeNumber('duration', values.duration),
      virtualUsers: wholeNumber('vusers', values.vusers),
      agents: wholeNumber('agents', values.agents),
    },
    strict: values.strict,
    recordBaseline: values['record-baseline'],
  };
}

/** Builds the project when dist/ is older than its sources, and installs artillery when bench/node_modules lacks it. */
async function prepare(): Promise<void> {
  if (await buildIsStale(repoRoot)) {
    console.log('building the project (npm run build), because dist/ is missing or older than the sources');
    const build = await runCommand('npm', ['run', 'build'], { cwd: repoRoot });
    if (build.code !== 0) throw new Error(`npm run build ${describeExit(build)}`);
  }
  if (!existsSync(artilleryBin)) {
    console.log('installing artillery into bench/node_modules (npm --prefix bench ci, about 590 MB)');
    // Playwright's browser download, which artillery pulls in, cannot succeed here and is not needed for HTTP load.
    const install = await runCommand('npm', ['--prefix', benchDir, 'ci'], { cwd: repoRoot, env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
    if (install.code !== 0) throw new Error(`npm --prefix bench ci ${describeExit(install)}`);
  }
}

/**
 * Environment overrides for one run. Fresh topic, table and Redis key
 * prefixes keep runs apart on shared servers, and the local agent is off so
 * that only the load generator posts. The local CA, credentials and signing
 * keys go to the run's temporary data_dir. The per-IP limits are off because
 * all the load comes from 127.0.0.1. The per-agent limit (60 per minute by
 * default) stays on, so its cost is measured.
 */
function pipelineEnv(deployment: Deployment, port: number, runId: string, tempDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    FLEETPULSE_DATA_DIR: tempDir,
    FLEETPULSE_GATEWAY_RATE_LIMITS_ROUTES_INGEST_PER_IP: 'off',
    FLEETPULSE_GATEWAY_RATE_LIMITS_ROUTES_TOKEN_PER_IP: 'off',
    FLEETPULSE_GATEWAY_HOST: '127.0.0.1',
    FLEETPULSE_GATEWAY_PORT: String(port),
    FLEETPULSE_LOG_LEVEL: 'warn',
    FLEETPULSE_LOCAL_AGENT_ENABLED: 'false',
    FLEETPULSE_BUS_TOPIC_PREFIX: `${runId}.`,
    FLEETPULSE_STORE_QUESTDB_TABLE_PREFIX: `${runId}_`,
    FLEETPULSE_STATE_REDIS_KEY_PREFIX: `${runId}:`,
    FLEETPULSE_STORE_DUCKDB_PATH: path.join(tempDir, `${deployment}.duckdb`),
  };
}

async function runArtillery(target: string, settings: LoadSettings, resultsDir: string, tls: { caFile: string; tokensFile: string }): Promise<{ reportFile: string; cpuSeconds?: number }> {
  const reportFile = path.join(resultsDir, 'report.json');
  const logFile = path.join(resultsDir, 'artillery.log');
  artillery = startCommand(artilleryBin, ['run', path.join(benchDir, 'ingest.yml'), '--output', reportFile], {
    cwd: benchDir,
    logFile,
    env: {
      ...process.env,
      ARTILLERY_DISABLE_TELEMETRY: 'true',
      // Node reads extra CA certificates at startup, so artillery trusts the pipeline's local CA.
      NODE_EXTRA_CA_CERTS: tls.caFile,
      FLEETPULSE_BENCH_TOKENS: tls.tokensFile,
      FLEETPULSE_BENCH_TARGET: target,
      FLEETPULSE_BENCH_WARM_UP: String(settings.warmUpSeconds),
      FLEETPULSE_BENCH_DURATION: String(settings.measuredSeconds),
      FLEETPULSE_BENCH_VUSERS: String(settings.virtualUsers),
      FLEETPULSE_BENCH_AGENTS: String(settings.agents),
    },
  });
  // /proc/PID/stat disappears with the process, so the CPU time is sampled while it runs.
  const pid = artillery.pid;
  let cpuSeconds: number | undefined;
  const sampler = setInterval(() => {
    void readCpuSeconds(pid).then((seconds) => {
      if (seconds !== undefined) cpuSeconds = seconds;
    });
  }, 1_000);
  const status = await waitForExit(artillery).finally(() => clearInterval(sampler));
  artillery = undefined;
  interruption.signal.throwIfAborted();
  if (status.code !== 0 || !existsSync(reportFile)) throw new Error(`artillery ${describeExit(status)} without a report; see ${logFile}`);
  return { reportFile, cpuSeconds };
}

/** Runs the benchmark against one deployment, from starting its servers to deleting what the run stored. */
async function runDeployment(deployment: Deployment, settings: LoadSettings, resultsRoot: string): Promise<RunResult> {
  const result: RunResult = { deployment, failures: [], strictFailures: [] };
  const resultsDir = path.join(resultsRoot, deployment);
  await mkdir(resultsDir, { recursive: true });
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'fleetpulse-bench-'));
  const runId = `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  const env = pipelineEnv(deployment, port, runId, tempDir);
  const configFile = path.join('config', `${deployment}.yml`);
  // The same loader as the pipeline's, so the servers and names used for checks and cleanup are the pipeline's own.
  let config: FleetpulseConfig;
  try {
    config = loadFleetpulseConfig(path.join(repoRoot, configFile), env);
  } catch (error) {
    await rm(tempDir, { recursive: true, force: true });
    throw error;
  }

  let startedServices: Service[] = [];
  let pipeline: ChildProcess | undefined;
  const pipelineLog = path.join(resultsDir, 'pipeline.log');
  try {
    if (deployment === 'distributed') {
      await pingRedis(config.state.redis.url);
      startedServices = await startServices(repoRoot);
    }
    console.log(`${deployment}: creating client credentials for ${settings.agents} agents`);
    const credentials = await createBenchCredentials(config, benchAgentIds(settings.agents));

    console.log(`${deployment}: starting fleetpulse run --config ${configFile} on 127.0.0.1:${port} (log: ${path.relative(repoRoot, pipelineLog)})`);
    // Detached, so that a Ctrl-C in the terminal reaches only this script, which then stops the pipeline with a single SIGTERM.
    pipeline = startCommand(process.execPath, ['dist/pipeline/cli/main.js', 'run', '--config', configFile], { cwd: repoRoot, env, logFile: pipelineLog, detached: true });
    const baseUrl = `https://127.0.0.1:${port}`;
    await waitUntilReady(baseUrl, (url) => getWithLocalCa(config, url), pipeline, READY_TIMEOUT_MS, interruption.signal);
    const tokensFile = path.join(tempDir, 'tokens.json');
    await fetchBenchTokens(config, baseUrl, credentials, tokensFile);
    console.log(`${deployment}: obtained ${credentials.size} access tokens through POST /oauth/token`);

    console.log(`${deployment}: artillery: ${settings.warmUpSeconds} s warm-up and ${settings.measuredSeconds} s measured, ${settings.virtualUsers} virtual users`);
    const cpuBefore = await readCpuSeconds(pipeline.pid);
    const { reportFile, cpuSeconds: artilleryCpuSeconds } = await runArtillery(baseUrl, settings, resultsDir, { caFile: benchCaFile(config), tokensFile });
    result.artilleryCpuSeconds = artilleryCpuSeconds;
    const cpuAfter = await readCpuSeconds(pipeline.pid);
    if (cpuBefore !== undefined && cpuAfter !== undefined) result.pipelineCpuSeconds = cpuAfter - cpuBefore;
    const figures = await readArtilleryReport(reportFile, settings);
    result.figures = figures;

    const expectedSamples = figures.acceptedBatches * SAMPLES_PER_BATCH;
    if (deployment === 'distributed' && pipeline.exitCode === null && pipeline.signalCode === null) {
      // Stops waiting when the pipeline exits, because then the sink makes no more progress.
      const exited = new AbortController();
      pipeline.once('exit', () => exited.abort());
      const stored = await waitForQuestDBSamples(config, expectedSamples, STORE_CATCH_UP_TIMEOUT_MS, AbortSignal.any([interruption.signal, exited.signal]));
      reportStored(result, stored.count, expectedSamples, `after waiting ${stored.seconds.toFixed(1)} s for the sink and QuestDB's write-ahead log`);
    }

    const stoppedCleanly = await stopAndReport(result, pipeline);
    if (deployment === 'embedded' && stoppedCleanly) {
      reportStored(result, await countDuckDBSamples(config.store.duckdb.path), expectedSamples, 'after the graceful stop');
    }
  } catch (error) {
    result.failures.push(interruption.signal.aborted ? 'interrupted by a signal; the figures are incomplete' : (error as Error).message);
  } finally {
    if (pipeline && pipeline.exitCode === null && pipeline.signalCode === null) await stopAndReport(result, pipeline);
    await reportLog(deployment, pipelineLog);
    // Topics, tables and keys exist only once the pipeline has started.
    if (deployment === 'distributed' && pipeline) {
      for (const failure of await removeDistributedRunData(config)) console.error(`${deployment}: cleanup: ${failure}`);
    }
    await stopServices(repoRoot, startedServices);
    await rm(tempDir, { recursive: true, force: true });
  }
  return result;
}

/** Stops the pipeline with SIGTERM and records a failure unless it exits with status 0. */
async function stopAndReport(result: RunResult, pipeline: ChildProcess): Promise<boolean> {
  const stop = await stopPipeline(pipeline, STOP_TIMEOUT_MS);
  console.log(`${result.deployment}: the pipeline ${stop.description}`);
  if (!stop.clean) result.failures.push(`the pipeline ${stop.description}`);
  return stop.clean;
}

/** Compares the samples in the store with those of the batches that got 202, which the pipeline must not lose. */
function reportStored(result: RunResult, stored: number, expected: number, when: string): void {
  console.log(`${result.deployment}: the store contains ${formatRate(stored)} of the ${formatRate(expected)} samples accepted with 202, ${when}`);
  if (stored < expected) result.strictFailures.push(`the store lacks ${formatRate(expected - stored)} accepted samples`);
}

async function reportLog(deployment: Deployment, file: string): Promise<void> {
  const summary = await summarizeLog(file);
  console.log(`${deployment}: pipeline log: ${summary.warnings} warnings, ${summary.errors} errors, ${summary.otherLines} lines that are not JSON`);
  for (const { level, message, count } of summary.messages.slice(0, 5)) console.log(`  ${count} x ${level}: ${message}`);
}

function describeMachine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`;
}

async function main(): Promise<number> {
  const options = parseOptions();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) process.exit(130);
    console.error(`received ${signal}; stopping the run and cleaning up (send it again to exit at once)`);
    interruption.abort();
    if (artillery) console.error('stopping artillery, which can take several seconds to exit');
    artillery?.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A pipeline left behind by a crash of this script would hold its port and files.
  process.on('exit', () => {
    for (const child of runningChildren) child.kill('SIGKILL');
  });

  await prepare();
  const baselines = await readBaselines(baselinesFile);
  const startedAt = new Date();
  // Other work on the machine takes CPU time from both the pipeline and the load generator.
  const loadAverage = os.loadavg()[0] ?? NaN;
  const resultsRoot = path.join(benchDir, 'results', `ingest-${startedAt.toISOString().replace(/[:.]/g, '-')}`);

  const results: RunResult[] = [];
  for (const deployment of options.deployments) {
    if (interruption.signal.aborted) break;
    results.push(await runDeployment(deployment, options.settings, resultsRoot));
  }

  console.log(`\nIngest benchmark, ${startedAt.toISOString().slice(0, 10)}, ${describeMachine()}, Node ${process.version}`);
  console.log(`1-minute load average at the start: ${loadAverage.toFixed(1)}; results: ${path.relative(repoRoot, resultsRoot)}`);
  let failed = false;
  for (const result of results) {
    console.log(`${result.deployment}:`);
    if (result.figures) {
      for (const line of describeFigures(result.figures)) console.log(line);
      if (result.pipelineCpuSeconds !== undefined) {
        const perCpuSecond = (result.figures.acceptedBatches * SAMPLES_PER_BATCH) / result.pipelineCpuSeconds;
        console.log(`  pipeline process CPU during the load: ${result.pipelineCpuSeconds.toFixed(1)} s, ${formatRate(perCpuSecond)} accepted samples per CPU second (warm-up included)`);
      }
      if (result.artilleryCpuSeconds !== undefined) console.log(`  artillery CPU: ${result.artilleryCpuSeconds.toFixed(1)} s`);
      const comparison = compareWithBaseline(result.deployment, result.figures, options.settings, baselines.ingest?.[result.deployment]);
      for (const line of comparison.lines) console.log(line);
      if (comparison.belowBaseline && options.strict) failed = true;
    }
    for (const failure of result.failures) console.log(`ERROR: ${result.deployment}: ${failure}`);
    for (const failure of result.strictFailures) console.log(`WARNING: ${result.deployment}: ${failure}`);
    if (result.failures.length > 0 || (options.strict && result.strictFailures.length > 0)) failed = true;
  }

  if (options.recordBaseline && !failed && !interruption.signal.aborted) {
    const ingest = { ...baselines.ingest };
    for (const result of results) {
      if (result.figures) ingest[result.deployment] = toBaseline(result.figures, options.settings, describeMachine(), startedAt);
    }
    await writeBaselines(baselinesFile, { ...baselines, ingest });
    console.log(`recorded the figures as baselines in ${path.relative(repoRoot, baselinesFile)}`);
  }

  if (interruption.signal.aborted) return 130;
  return failed ? 1 : 0;
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    console.error(`bench:ingest: ${(error as Error).message}`);
    process.exitCode = 1;
  },
);
