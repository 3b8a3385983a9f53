import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Private Kafka and QuestDB servers for tests that stop, crash or restart a
 * server, which they must never do to the shared ones that other tests use.
 * Each instance runs through scripts/services.sh on its own loopback ports
 * with its own state directory, and reuses the jars that script caches.
 *
 * ```ts
 * const kafka = await startPrivateKafka();
 * t.teardown(() => kafka.dispose());
 * await kafka.kill(); // a crash; data is kept
 * await kafka.start();
 * ```
 */

const servicesScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/services.sh');

const loopback = '127.0.0.1';

/** Maximum time for one services.sh command, because a first `up` also fetches the jars from Maven Central. */
const scriptTimeoutMs = 300_000;

/** Start, stop and crash controls shared by the private servers. */
export interface PrivateService {
  /** State directory: data, logs and pid file. */
  readonly dir: string;
  /** Starts the server and resolves once it accepts requests; does nothing while it runs. */
  start(): Promise<void>;
  /** Stops the server gracefully (SIGTERM, then SIGKILL after 30 s). */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL, as a crash would; its data stays for the next start. */
  kill(): Promise<void>;
  isRunning(): Promise<boolean>;
  /** Stops the server and removes `dir` if this module created it. */
  dispose(): Promise<void>;
}

export interface PrivateKafka extends PrivateService {
  /** `host:port` of the client listener, as kafkajs takes them. */
  readonly brokers: string[];
  readonly port: number;
  readonly controllerPort: number;
}

export interface PrivateKafkaOptions {
  /** Client listener port; a free loopback port when omitted. */
  port?: number;
  /** KRaft controller listener port; a free loopback port when omitted. */
  controllerPort?: number;
  /** State directory; a new temporary directory, removed by `dispose()`, when omitted. */
  dir?: string;
  /** Maximum Java heap, such as `256m`; services.sh uses 512m when omitted. */
  heap?: string;
}

export interface PrivateQuestdb extends PrivateService {
  /** Base URL of the HTTP server (REST queries and ILP over HTTP). */
  readonly http: string;
  /** PostgreSQL wire protocol connection string, with QuestDB's default credentials. */
  readonly pg: string;
  readonly ports: { http: number; pg: number; ilp: number; httpMin: number };
}

export interface PrivateQuestdbOptions {
  ports?: Partial<PrivateQuestdb['ports']>;
  /** State directory; a new temporary directory, removed by `dispose()`, when omitted. */
  dir?: string;
  /** Maximum Java heap, such as `256m`; services.sh uses 512m when omitted. */
  heap?: string;
}

/**
 * Returns `count` distinct ports that were free on 127.0.0.1 a moment ago.
 * NOTE: another process can take a port before the server binds it. The
 * server then fails to start, with a bind error in its log.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, loopback, resolve);
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('expected a TCP address from a listening server');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** Starts a single-node Kafka (KRaft broker and controller) on loopback and resolves once it responds to a metadata request. */
export async function startPrivateKafka(options: PrivateKafkaOptions = {}): Promise<PrivateKafka> {
  const [freeClient, freeController] = await freePorts(2);
  const port = options.port ?? freeClient!;
  const controllerPort = options.controllerPort ?? freeController!;

  const env: NodeJS.ProcessEnv = {
    FLEETPULSE_KAFKA_PORT: String(port),
    FLEETPULSE_KAFKA_CONTROLLER_PORT: String(controllerPort),
  };
  if (options.heap) env.FLEETPULSE_KAFKA_HEAP = options.heap;

  const control = await createControl('kafka', options.dir, env);
  const kafka: PrivateKafka = { ...control, brokers: [`${loopback}:${port}`], port, controllerPort };
  await startOrDispose(kafka);
  return kafka;
}

/** Starts a QuestDB server on loopback and resolves once it responds to an HTTP query. */
export async function startPrivateQuestdb(options: PrivateQuestdbOptions = {}): Promise<PrivateQuestdb> {
  const [http, pg, ilp, httpMin] = await freePorts(4);
  const ports = {
    http: options.ports?.http ?? http!,
    pg: options.ports?.pg ?? pg!,
    ilp: options.ports?.ilp ?? ilp!,
    httpMin: options.ports?.httpMin ?? httpMin!,
  };

  const env: NodeJS.ProcessEnv = {
    FLEETPULSE_QUESTDB_HTTP_PORT: String(ports.http),
    FLEETPULSE_QUESTDB_PG_PORT: String(ports.pg),
    FLEETPULSE_QUESTDB_ILP_PORT: String(ports.ilp),
    FLEETPULSE_QUESTDB_HTTP_MIN_PORT: String(ports.httpMin),
  };
  if (options.heap) env.FLEETPULSE_QUESTDB_HEAP = options.heap;

  const control = await createControl('questdb', options.dir, env);
  const questdb: PrivateQuestdb = {
    ...control,
    http: `http://${loopback}:${ports.http}`,
    // admin/quest and database qdb are QuestDB's built-in defaults.
    pg: `postgres://admin:quest@${loopback}:${ports.pg}/qdb`,
    ports,
  };
  await startOrDispose(questdb);
  return questdb;
}

async function startOrDispose(service: PrivateService): Promise<void> {
  try {
    await service.start();
  } catch (error) {
    await service.dispose().catch(() => {});
    throw error;
  }
}

/** Private servers not yet disposed: service name and state directory. */
const undisposed = new Set<{ service: string; dir: string }>();

// A test process that exits without calling dispose() (a thrown error, a
// forgotten teardown) would leave its JVMs running. A SIGKILL to the test
// process itself cannot be caught, so this covers normal exits only.
process.on('exit', () => {
  for (const { service, dir } of undisposed) killRecordedProcess(service, dir);
});

/** Sends SIGKILL to the pid in the service's pid file if that process still runs from `dir`. */
function killRecordedProcess(service: string, dir: string): void {
  try {
    const serviceDir = path.join(dir, service);
    const pid = Number(readFileSync(path.join(serviceDir, `${service}.pid`), 'utf8').trim());
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (commandLine.includes(serviceDir)) process.kill(pid, 'SIGKILL');
  } catch {
    // No pid file or no such process: nothing is left running.
  }
}

async function createControl(service: 'kafka' | 'questdb', dir: string | undefined, serviceEnv: NodeJS.ProcessEnv): Promise<PrivateService> {
  const ownsDir = dir === undefined;
  const stateDir = dir ?? (await mkdtemp(path.join(tmpdir(), `fleetpulse-${service}-`)));
  const env = { ...process.env, ...serviceEnv, FLEETPULSE_SERVICES_DIR: stateDir };
  const run = (command: string) => runServicesScript([command, service], env);
  const entry = { service, dir: stateDir };
  undisposed.add(entry);

  return {
    dir: stateDir,
    start: async () => {
      await run('up');
    },
    stop: async () => {
      await run('down');
    },
    kill: async () => {
      await run('kill');
    },
    isRunning: async () => {
      try {
        await run('status');
        return true;
      } catch (error) {
        if ((error as ServicesScriptError).status === 3) return false;
        throw error;
      }
    },
    dispose: async () => {
      await run('down');
      undisposed.delete(entry);
      if (ownsDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A services.sh command that exited with a non-zero status; the message includes its output. */
export class ServicesScriptError extends Error {
  constructor(
    readonly args: string[],
    readonly status: number | null,
    output: string,
  ) {
    super(`scripts/services.sh ${args.join(' ')} failed with status ${status}:\n${output}`);
    this.name = 'ServicesScriptError';
  }
}

function runServicesScript(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [servicesScript, ...args], { env, timeout: scriptTimeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
        return;
      }
      const status = typeof error.code === 'number' ? error.code : null;
      const timedOut = error.killed ? ` (killed after ${scriptTimeoutMs} ms)` : '';
      reject(new ServicesScriptError(args, status, `${stdout}${stderr}${timedOut}`.trimEnd()));
    });
  });
}
