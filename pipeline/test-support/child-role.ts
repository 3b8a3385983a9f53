import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));

/** A fleetpulse role in a child process, so a test can kill it as a crash would. */
export interface ChildRole {
  /** Every JSON log line the child wrote so far, parsed. */
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first log line whose `msg` matches, waiting up to `timeoutMs`. */
  waitForLog(message: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends SIGKILL, so no shutdown code runs, and waits for the exit. */
  kill(): Promise<void>;
  /** Sends SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/** Writes `config` to `file` as YAML and starts `fleetpulse run --role ROLE` with it. */
export function startChildRole(role: string, config: Record<string, unknown>, file: string): ChildRole {
  writeFileSync(file, stringify(config));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN, 'run', '--role', role, '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        lines.push({ msg: part });
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return {
    lines,
    waitForLog: async (message, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines.find((candidate) => (typeof message === 'string' ? candidate.msg === message : message.test(String(candidate.msg))));
        if (line) return line;
        if (child.exitCode !== null) throw new Error(`the ${role} exited with status ${child.exitCode} before logging ${String(message)}: ${stderr.slice(-2_000)}`);
        if (Date.now() > deadline) throw new Error(`the ${role} did not log ${String(message)} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
