import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

/** Children to reach from a signal handler or at exit. */
export const runningChildren = new Set<ChildProcess>();

/** Result of a finished child process. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CommandOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** File that receives standard output and standard error; the terminal when absent. */
  logFile?: string;
  /** Own process group, so a Ctrl-C in the terminal does not reach the child. */
  detached?: boolean;
}

/** Starts a command with standard input closed and its output in `logFile` or the terminal. */
export function startCommand(command: string, args: string[], options: CommandOptions): ChildProcess {
  const output = options.logFile === undefined ? 'inherit' : openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', output, output],
      detached: options.detached ?? false,
    });
    runningChildren.add(child);
    child.once('exit', () => runningChildren.delete(child));
    return child;
  } finally {
    // The child has its own copy of the descriptor.
    if (typeof output === 'number') closeSync(output);
  }
}

/** Resolves with the child's exit status; rejects when it could not be started. */
export function waitForExit(child: ChildProcess): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Runs a command to its end and returns its exit status. */
export async function runCommand(command: string, args: string[], options: CommandOptions): Promise<ExitStatus> {
  return waitForExit(startCommand(command, args, options));
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `was killed by ${status.signal}` : `exited with status ${status.code}`;
}

/** Asks the system for a free TCP port on 127.0.0.1. Another process could take it before the pipeline binds it, which startup would report. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Folders that `npm run build` compiles, as listed in tsconfig.build.json. */
const BUILD_FOLDERS = ['pipeline', 'grammar', 'ingest-gateway', 'processors', 'sinks', 'agent', 'dashboard'];
const SKIPPED_FOLDERS = new Set(['node_modules', 'generated', 'test-support']);

/**
 * Reports whether dist/ is missing or older than a source file. tsc rewrites
 * dist/.tsbuildinfo on every build that emits, so a source file newer than
 * it may not be compiled yet.
 */
export async function buildIsStale(repoRoot: string): Promise<boolean> {
  const buildInfo = path.join(repoRoot, 'dist', '.tsbuildinfo');
  if (!existsSync(path.join(repoRoot, 'dist', 'pipeline', 'cli', 'main.js')) || !existsSync(buildInfo)) return true;
  const builtAt = (await stat(buildInfo)).mtimeMs;
  for (const folder of BUILD_FOLDERS) {
    if (await hasNewerSource(path.join(repoRoot, folder), builtAt)) return true;
  }
  return false;
}

async function hasNewerSource(folder: string, builtAt: number): Promise<boolean> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const entry of entries) {
    const file = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name) && (await hasNewerSource(file, builtAt))) return true;
    } else if (/\.(ts|peggy|json)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) {
      if ((await stat(file)).mtimeMs > builtAt) return true;
    }
  }
  return false;
}

/**
 * Polls GET /readyz through `get` until the response status is 200. Throws
 * when the pipeline exits, the timeout passes or `signal` aborts.
 */
export async function waitUntilReady(
  baseUrl: string,
  get: (url: string) => Promise<{ status: number; body: string }>,
  pipeline: ChildProcess,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    if (pipeline.exitCode !== null || pipeline.signalCode !== null) {
      throw new Error(`the pipeline ${describeExit({ code: pipeline.exitCode, signal: pipeline.signalCode })} before it was ready`);
    }
    try {
      const response = await get(`${baseUrl}/readyz`);
      if (response.status === 200) return;
      lastProblem = `GET /readyz responded ${response.status}: ${response.body.slice(0, 200)}`;
    } catch (error) {
      lastProblem = `GET /readyz failed: ${(error as Error).message}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the pipeline was not ready within ${timeoutMs / 1_000} s (${lastProblem})`);
}

/** Outcome of a stop with SIGTERM. */
export interface StopOutcome {
  /** Exit status 0 after the SIGTERM, without a signal. */
  clean: boolean;
  /** Description of the outcome, worded to follow "the pipeline". */
  description: string;
}

/**
 * Sends one SIGTERM, which the pipeline handles as a graceful stop, and waits
 * for the exit. After `timeoutMs` it sends SIGKILL and reports the stop as unclean.
 */
export async function stopPipeline(pipeline: ChildProcess, timeoutMs: number): Promise<StopOutcome> {
  if (pipeline.exitCode !== null || pipeline.signalCode !== null) {
    return { clean: false, description: `${describeExit({ code: pipeline.exitCode, signal: pipeline.signalCode })} before the stop` };
  }
  const started = performance.now();
  const exited = waitForExit(pipeline);
  pipeline.kill('SIGTERM');

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([exited, timedOut]);
  clearTimeout(timer);

  if (result === 'timeout') {
    pipeline.kill('SIGKILL');
    await exited;
    return { clean: false, description: `did not exit within ${timeoutMs / 1_000} s of SIGTERM and was killed` };
  }
  const seconds = (performance.now() - started) / 1_000;
  return { clean: result.code === 0 && result.signal === null, description: `${describeExit(result)} ${seconds.toFixed(1)} s after SIGTERM` };
}

/** Warnings and errors that the pipeline logged, grouped by message. */
export interface LogSummary {
  warnings: number;
  errors: number;
  /** Lines that are not pino JSON, such as a stack trace on standard error. */
  otherLines: number;
  /** Distinct messages of warnings and errors with their counts, most frequent first. */
  messages: Array<{ level: string; message: string; count: number }>;
}

/** pino's numeric levels. */
const WARN_LEVEL = 40;
const ERROR_LEVEL = 50;

export async function summarizeLog(file: string): Promise<LogSummary> {
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  const summary: LogSummary = { warnings: 0, errors: 0, otherLines: 0, messages: [] };
  const counts = new Map<string, { level: string; message: string; count: number }>();

  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: { level?: number; msg?: string; err?: { message?: string } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      summary.otherLines++;
      continue;
    }
    if (typeof entry.level !== 'number' || entry.level < WARN_LEVEL) continue;

    const level = entry.level >= ERROR_LEVEL ? 'error' : 'warn';
    if (level === 'error') summary.errors++;
    else summary.warnings++;
    const message = `${entry.msg ?? '(no message)'}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
    const key = `${level} ${message}`;
    const known = counts.get(key);
    if (known) known.count++;
    else counts.set(key, { level, message, count: 1 });
  }

  summary.messages = [...counts.values()].sort((a, b) => b.count - a.count);
  return summary;
}

let clockTicksPerSecond: number | undefined;

/**
 * Reads the CPU time (user and system, all threads) that a process has used
 * so far from /proc/PID/stat. Returns undefined where /proc is missing or
 * the process has exited.
 */
export async function readCpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name in field 2 may contain spaces, so fields are counted from its closing parenthesis:
  // field 3 (state) is index 0 there, field 14 (utime) index 11 and field 15 (stime) index 12.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  clockTicksPerSecond ??= readClockTicks();
  return Number.isFinite(ticks) ? ticks / clockTicksPerSecond : undefined;
}

/** Clock ticks per second of /proc CPU times: `getconf CLK_TCK`, which is 100 on common Linux systems. */
function readClockTicks(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}
