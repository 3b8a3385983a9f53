#!/usr/bin/env node
// Runs a command with the test servers available and their addresses in the
// environment:
//
//   node scripts/with-services.mjs -- tap pipeline/bus
//
// Kafka and QuestDB are started through scripts/services.sh unless
// FLEETPULSE_TEST_KAFKA_BROKERS (for Kafka) or both FLEETPULSE_TEST_QUESTDB_HTTP
// and FLEETPULSE_TEST_QUESTDB_PG (for QuestDB) are already set. Afterwards, and
// on SIGINT or SIGTERM, it stops only the servers that it started itself, so
// servers a developer left running stay up. Redis is not started: it must
// already reply to PING at FLEETPULSE_TEST_REDIS_URL (default
// redis://127.0.0.1:6379). The exit status is the command's, or 128 + the
// signal number when the command was killed by a signal.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { constants } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const servicesScript = path.join(repoRoot, 'scripts', 'services.sh');
const defaultRedisUrl = 'redis://127.0.0.1:6379';
const redisTimeoutMs = 3_000;

/** Variables that `services.sh env` prints for each service. */
const serviceVariables = {
  kafka: ['FLEETPULSE_TEST_KAFKA_BROKERS'],
  questdb: ['FLEETPULSE_TEST_QUESTDB_HTTP', 'FLEETPULSE_TEST_QUESTDB_PG'],
};

function log(message) {
  console.error(`with-services: ${message}`);
}

function exitWithUsage(message) {
  if (message) log(message);
  console.error('usage: node scripts/with-services.mjs -- COMMAND [ARGUMENTS...]');
  process.exit(2);
}

/**
 * Runs services.sh and resolves to its exit status and captured output.
 * `detached` puts it in its own process group, out of reach of a Ctrl-C in
 * the terminal.
 */
function runServicesScript(args, { capture = false, quiet = false, detached = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [servicesScript, ...args], {
      cwd: repoRoot,
      detached,
      stdio: ['ignore', capture || quiet ? 'pipe' : 'inherit', quiet ? 'ignore' : 'inherit'],
    });
    current.script = child;
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      current.script = undefined;
      resolve({ code: code ?? 128 + (constants.signals[signal] ?? 0), output });
    });
  });
}

/** Sends PING (after AUTH when the URL has a password) and resolves once Redis replies +PONG. */
function pingRedis(urlText) {
  const url = new URL(urlText);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || 6379);
  const commands = [];
  if (url.password) {
    const auth = url.username ? ['AUTH', decodeURIComponent(url.username), decodeURIComponent(url.password)] : ['AUTH', decodeURIComponent(url.password)];
    commands.push(auth);
  }
  commands.push(['PING']);
  const request = commands.map((words) => `*${words.length}\r\n${words.map((word) => `$${Buffer.byteLength(word)}\r\n${word}\r\n`).join('')}`).join('');

  return new Promise((resolve, reject) => {
    const socket = url.protocol === 'rediss:' ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`no reply within ${redisTimeoutMs} ms`)), redisTimeoutMs);
    let replies = '';
    socket.once(url.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      replies += chunk;
      const lines = replies.split('\r\n').filter(Boolean);
      const error = lines.find((line) => line.startsWith('-'));
      if (error) socket.destroy(new Error(`Redis replied ${error.slice(1)}`));
      else if (lines.length >= commands.length) {
        socket.end();
        if (lines.at(-1) === '+PONG') resolve();
        else reject(new Error(`unexpected reply to PING: ${lines.at(-1)}`));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error('connection closed before the reply to PING'));
    });
  });
}

function redactPassword(urlText) {
  try {
    const url = new URL(urlText);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return urlText;
  }
}

/** Processes that a signal handler must reach, and what was started here. */
const current = { script: undefined, command: undefined, signal: undefined, startedHere: [], stopping: false };

function onSignal(signal) {
  if (current.signal) return;
  current.signal = signal;
  log(`received ${signal}, stopping`);
  // Forwarding covers a signal sent to this process alone. After Ctrl-C in a
  // terminal, the command and services.sh receive SIGINT twice, because they
  // share the terminal's process group.
  current.command?.kill(signal);
  // An interrupted `down` would leave the servers running, so it runs detached
  // and receives no signal.
  if (!current.stopping) current.script?.kill(signal);
}

async function stopStartedServices() {
  if (current.startedHere.length === 0) return;
  current.stopping = true;
  const target = current.startedHere.length === 1 ? current.startedHere : [];
  const { code } = await runServicesScript(['down', ...target], { detached: true });
  if (code !== 0) log(`scripts/services.sh down ${target.join(' ')} failed with status ${code}`);
}

function signalStatus(signal) {
  return 128 + (constants.signals[signal] ?? 0);
}

async function main() {
  const args = process.argv.slice(2);
  const command = args[0] === '--' ? args.slice(1) : args;
  if (command.length === 0) exitWithUsage('missing the command to run');
  if (command[0] === '-h' || command[0] === '--help') exitWithUsage();

  const env = { ...process.env };
  env.FLEETPULSE_TEST_REDIS_URL ||= defaultRedisUrl;
  try {
    await pingRedis(env.FLEETPULSE_TEST_REDIS_URL);
  } catch (error) {
    log(
      `PING to Redis at ${redactPassword(env.FLEETPULSE_TEST_REDIS_URL)} failed: ${error.message.replace(/\.$/, '')}. ` +
        'Start Redis there, or set FLEETPULSE_TEST_REDIS_URL to a running server.',
    );
    return 1;
  }

  const hasQuestdbHttp = Boolean(env.FLEETPULSE_TEST_QUESTDB_HTTP);
  const hasQuestdbPg = Boolean(env.FLEETPULSE_TEST_QUESTDB_PG);
  if (hasQuestdbHttp !== hasQuestdbPg) {
    log('set both FLEETPULSE_TEST_QUESTDB_HTTP and FLEETPULSE_TEST_QUESTDB_PG to use an existing QuestDB, or neither to start one');
    return 2;
  }
  const needed = [];
  if (!env.FLEETPULSE_TEST_KAFKA_BROKERS) needed.push('kafka');
  if (!hasQuestdbHttp) needed.push('questdb');

  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (needed.length > 0) {
    for (const service of needed) {
      const { code } = await runServicesScript(['status', service], { quiet: true });
      // Marked before `up`, so an interrupted start is still stopped.
      if (code !== 0) current.startedHere.push(service);
    }
    const target = needed.length === 1 ? needed : [];
    const up = await runServicesScript(['up', ...target]);
    if (up.code !== 0 || current.signal) {
      if (!current.signal) log(`scripts/services.sh up ${target.join(' ')} failed with status ${up.code}`);
      await stopStartedServices();
      return current.signal ? signalStatus(current.signal) : 1;
    }

    const printed = await runServicesScript(['env', ...target], { capture: true });
    for (const line of printed.output.split('\n')) {
      const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
      if (match) env[match[1]] = match[2];
    }
    const missing = needed.flatMap((service) => serviceVariables[service]).filter((name) => !env[name]);
    if (missing.length > 0) {
      log(`scripts/services.sh env printed no ${missing.join(', ')}; the services may have stopped`);
      await stopStartedServices();
      return 1;
    }
  }

  // Lets `-- tap` work when this script is run directly rather than through npm.
  env.PATH = `${path.join(repoRoot, 'node_modules', '.bin')}${path.delimiter}${env.PATH ?? ''}`;

  const status = await new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env });
    current.command = child;
    child.on('error', (error) => {
      log(`cannot run ${command[0]}: ${error.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? signalStatus(signal)));
  });
  current.command = undefined;

  await stopStartedServices();
  return current.signal && status === 0 ? signalStatus(current.signal) : status;
}

process.exitCode = await main();
