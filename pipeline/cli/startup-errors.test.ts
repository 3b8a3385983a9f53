import { execFile, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { ROLES } from './args.js';
import { fleetpulseConfigSchema } from './config.js';
import { explainStartupError, StartupError } from './startup-errors.js';
import { temporaryDirectory } from './test-support/files.js';

const run = promisify(execFile);
const MAIN = new URL('./main.ts', import.meta.url).pathname;
const CONFIG = new URL('../../config/embedded.yml', import.meta.url).pathname;

/** Listens on a free loopback port and returns the server and its port. */
async function occupyPort(t: Test): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return { server, port: address.port };
}

/** Returns the error Node raises when a second server listens on `port`. */
async function listenError(port: number): Promise<Error> {
  const second = createServer();
  return new Promise((resolve, reject) => {
    second.once('error', resolve);
    second.listen(port, '127.0.0.1', () => second.close(() => reject(new Error(`listening on ${port} unexpectedly succeeded`))));
  });
}

t.test('explainStartupError port in use', async (t) => {
  const { port } = await occupyPort(t);
  const config = fleetpulseConfigSchema.parse({ gateway: { port } });

  const explained = explainStartupError(await listenError(port), config, ROLES);

  t.ok(explained instanceof StartupError);
  t.equal(
    explained?.message,
    `cannot listen on 127.0.0.1:${port}: another process already listens there (another fleetpulse run?). Stop it, or choose a free port with gateway.port (environment variable FLEETPULSE_GATEWAY_PORT)`,
  );
});

t.test('explainStartupError dashboard port in use', async (t) => {
  const { port } = await occupyPort(t);
  const config = fleetpulseConfigSchema.parse({ dashboard: { port } });

  const explained = explainStartupError(await listenError(port), config, ['dashboard']);

  t.match(explained?.message, /choose a free port with dashboard\.port \(environment variable FLEETPULSE_DASHBOARD_PORT\)$/);
});

t.test('explainStartupError permission denied', async (t) => {
  // The error is built by hand because binding port 80 succeeds when the tests run as root.
  const error = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), { code: 'EACCES', syscall: 'listen', address: '0.0.0.0', port: 80 });
  const config = fleetpulseConfigSchema.parse({ gateway: { host: '0.0.0.0', port: 80 } });

  t.equal(
    explainStartupError(error, config, ROLES)?.message,
    'cannot listen on 0.0.0.0:80: permission denied; ports below 1024 need root or the CAP_NET_BIND_SERVICE capability. Choose a port from 1024 up with gateway.port (environment variable FLEETPULSE_GATEWAY_PORT)',
  );
});

t.test('explainStartupError address of no interface', async (t) => {
  const error = Object.assign(new Error('listen EADDRNOTAVAIL: address not available 192.0.2.1:8443'), { code: 'EADDRNOTAVAIL', syscall: 'listen', address: '192.0.2.1', port: 8443 });
  const config = fleetpulseConfigSchema.parse({ gateway: { host: '192.0.2.1' } });

  t.match(explainStartupError(error, config, ROLES)?.message, /^cannot listen on 192\.0\.2\.1:8443: the address belongs to no interface of this host\. Set gateway\.host \(environment variable FLEETPULSE_GATEWAY_HOST\)/);
});

t.test('explainStartupError DuckDB file locked', async (t) => {
  const file = join(temporaryDirectory(t, 'fleetpulse-startup-'), 'fleetpulse.duckdb');
  // DuckDB locks the file against other processes only, so a child process holds it.
  const holder = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(file)}); console.log('open'); process.stdin.resume();`],
    { cwd: new URL('../..', import.meta.url).pathname, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  t.teardown(() => {
    holder.kill();
  });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the process holding the DuckDB file exited with ${code}`)));
  });

  const error = await DuckDBInstance.create(file).then(
    () => new Error('opening the locked file unexpectedly succeeded'),
    (failure: unknown) => failure as Error,
  );
  const explained = explainStartupError(error, fleetpulseConfigSchema.parse({}), ROLES);

  t.equal(
    explained?.message,
    `cannot open the DuckDB file ${file}: another process (PID ${holder.pid}, ${process.execPath}) has it open, probably another fleetpulse run with the same data_dir. ` +
      'Stop that process, or give this one another data_dir (environment variable FLEETPULSE_DATA_DIR) or store.duckdb.path (environment variable FLEETPULSE_STORE_DUCKDB_PATH)',
  );
});

t.test('explainStartupError other errors', async (t) => {
  const config = fleetpulseConfigSchema.parse({});
  t.equal(explainStartupError(new Error('connect ECONNREFUSED 127.0.0.1:9092'), config, ROLES), undefined);
  // A port that is not the configured one belongs to some other server, which the message could not name.
  const other = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:1234'), { code: 'EADDRINUSE', syscall: 'listen', address: '127.0.0.1', port: 1234 });
  t.equal(explainStartupError(other, config, ROLES), undefined);
});

t.test('run with port in use prints one line', async (t) => {
  const { port } = await occupyPort(t);
  const dataDir = temporaryDirectory(t, 'fleetpulse-startup-');

  const failed = await run(process.execPath, ['--import', 'tsx', MAIN, 'run', '--config', CONFIG], {
    env: { ...process.env, FLEETPULSE_GATEWAY_PORT: String(port), FLEETPULSE_DATA_DIR: dataDir, FLEETPULSE_LOG_LEVEL: 'silent' },
  }).then(
    () => undefined,
    (error: unknown) => error as { code: number; stderr: string },
  );

  t.equal(failed?.code, 1);
  t.equal(
    failed?.stderr,
    `fleetpulse: cannot listen on 127.0.0.1:${port}: another process already listens there (another fleetpulse run?). Stop it, or choose a free port with gateway.port (environment variable FLEETPULSE_GATEWAY_PORT)\n`,
  );
});
