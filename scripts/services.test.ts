import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { testServices } from '../pipeline/test-support/services.js';

// These tests use the Kafka and QuestDB that the test run uses, which a
// private state directory makes look started by another checkout. They never
// stop those servers: `down` must leave them running.

const SCRIPT = new URL('./services.sh', import.meta.url).pathname;
const PROBE = new URL('./services/kafka-api-versions.mjs', import.meta.url).pathname;
const POM = new URL('./services/pom.xml', import.meta.url).pathname;

const kafkaPort = testServices.kafkaBrokers[0]!.split(':').at(-1)!;
const questdbHttpPort = new URL(testServices.questdbHttp).port || '9000';
const questdbPgPort = new URL(testServices.questdbPg.replace(/^postgres(ql)?:/, 'http:')).port || '8812';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Builds an environment in which this script has started nothing: its own
 * state and cache directories and the test servers' ports. Its jars look
 * fetched and its java fails, so a start that should not happen fails at
 * once instead of downloading.
 */
function isolatedEnv(t: Test, ports: Record<string, string> = {}): NodeJS.ProcessEnv {
  const directory = mkdtempSync(join(tmpdir(), 'fleetpulse-services-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const pom = readFileSync(POM, 'utf8');
  for (const service of ['kafka', 'questdb']) {
    const version = new RegExp(`<${service}\\.version>(.*)</${service}\\.version>`).exec(pom)![1]!;
    const lib = join(directory, 'cache', `${service}-${version}`, 'lib');
    mkdirSync(lib, { recursive: true });
    writeFileSync(join(lib, '.complete'), '');
  }
  return {
    ...process.env,
    FLEETPULSE_SERVICES_DIR: join(directory, 'state'),
    FLEETPULSE_SERVICES_CACHE: join(directory, 'cache'),
    FLEETPULSE_JAVA: '/bin/false',
    FLEETPULSE_KAFKA_PORT: kafkaPort,
    FLEETPULSE_QUESTDB_HTTP_PORT: questdbHttpPort,
    FLEETPULSE_QUESTDB_PG_PORT: questdbPgPort,
    ...ports,
  };
}

function services(args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function kafkaResponds(port: string): Promise<boolean> {
  return new Promise((resolve) => execFile(process.execPath, [PROBE, `127.0.0.1:${port}`], (error) => resolve(error === null)));
}

/** Creates a TCP server that sends a line of text on every connection, as many programs that are not Kafka do. */
function textServer(): Server {
  return createServer((socket) => {
    // The script's port check opens and drops connections, which resets them.
    socket.on('error', () => undefined);
    socket.end('hello\n');
  });
}

/** Listens on a free loopback port with a server that is neither Kafka nor QuestDB. */
async function otherProgram(t: Test, server: Server | ReturnType<typeof createHttpServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Closing stops new connections; connections the script left open end with the process.
  t.teardown(() => {
    server.close();
  });
  return String((server.address() as AddressInfo).port);
}

t.test('services status servers started elsewhere', async (t) => {
  const result = await services(['status'], isolatedEnv(t));

  t.equal(result.code, 0);
  t.equal(
    result.stdout,
    `kafka    running  not started by this checkout, 127.0.0.1:${kafkaPort}\n` +
      `questdb  running  not started by this checkout, http://127.0.0.1:${questdbHttpPort}, pg 127.0.0.1:${questdbPgPort}\n`,
  );
});

t.test('services up reuses servers started elsewhere', async (t) => {
  const env = isolatedEnv(t);

  const result = await services(['up'], env);

  t.equal(result.code, 0, result.stderr);
  t.equal(
    result.stdout,
    `kafka: already running (not started by this checkout) on 127.0.0.1:${kafkaPort}; using it\n` +
      `questdb: already running (not started by this checkout) on http://127.0.0.1:${questdbHttpPort}, pg 127.0.0.1:${questdbPgPort}; using it\n`,
  );
  t.notOk(existsSync(join(env.FLEETPULSE_SERVICES_DIR!, 'kafka', 'kafka.pid')), 'no Kafka was started');
});

t.test('services env for servers started elsewhere', async (t) => {
  const result = await services(['env'], isolatedEnv(t));

  t.equal(result.code, 0);
  t.equal(
    result.stdout,
    `export FLEETPULSE_TEST_KAFKA_BROKERS=127.0.0.1:${kafkaPort}\n` +
      `export FLEETPULSE_TEST_QUESTDB_HTTP=http://127.0.0.1:${questdbHttpPort}\n` +
      `export FLEETPULSE_TEST_QUESTDB_PG=postgres://admin:quest@127.0.0.1:${questdbPgPort}/qdb\n`,
  );
});

t.test('services down leaves servers started elsewhere', async (t) => {
  const result = await services(['down', 'kafka'], isolatedEnv(t));

  t.equal(result.code, 0);
  t.equal(result.stdout, `kafka: running on 127.0.0.1:${kafkaPort} but not started by this checkout; left running\n`);
  t.ok(await kafkaResponds(kafkaPort), 'Kafka still responds');
});

t.test('services up rejects a port of another program', async (t) => {
  const port = await otherProgram(t, textServer());
  const env = isolatedEnv(t, { FLEETPULSE_KAFKA_PORT: port });
  const message = `port 127.0.0.1:${port} is in use by a process that does not respond to a Kafka ApiVersions request, so it is not a Kafka broker; stop that process or choose another port with FLEETPULSE_KAFKA_PORT`;

  const up = await services(['up', 'kafka'], env);
  t.equal(up.code, 1);
  t.equal(up.stderr, `services.sh: kafka: ${message}\n`);

  const status = await services(['status', 'kafka'], env);
  t.equal(status.code, 3);
  t.equal(status.stdout, `kafka    stopped  ${message}\n`);
});

t.test('services up rejects an HTTP server that is not QuestDB', async (t) => {
  const port = await otherProgram(t, createHttpServer((_, response) => response.writeHead(404).end()));
  const up = await services(['up', 'questdb'], isolatedEnv(t, { FLEETPULSE_QUESTDB_HTTP_PORT: port }));

  t.equal(up.code, 1);
  t.equal(
    up.stderr,
    `services.sh: questdb: port 127.0.0.1:${port} is in use by a process that does not respond to GET /exec?query=select 1, so it is not QuestDB; ` +
      'stop that process or choose other ports with FLEETPULSE_QUESTDB_HTTP_PORT and FLEETPULSE_QUESTDB_PG_PORT\n',
  );
});

t.test('kafka probe tells Kafka from other programs', async (t) => {
  t.ok(await kafkaResponds(kafkaPort), 'the test broker');
  const port = await otherProgram(t, textServer());
  t.notOk(await kafkaResponds(port), 'a program that responds with something else');
});
