import type { Role } from './args.js';
import { type FleetpulseConfig, ENV_PREFIX } from './config.js';
import { variableName } from '../config/environment.js';

/**
 * A startup failure that the user fixes in the configuration or the
 * environment, such as a port that another process uses. The CLI prints the
 * message alone, without a stack trace, and `cause` keeps the original error.
 */
export class StartupError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** The error Node raises when a server cannot listen, such as `listen EADDRINUSE: address already in use 127.0.0.1:8443`. */
interface ListenError extends Error {
  code: string;
  syscall: 'listen';
  address?: string;
  port?: number;
}

function isListenError(error: unknown): error is ListenError {
  return error instanceof Error && (error as Partial<ListenError>).syscall === 'listen' && typeof (error as Partial<ListenError>).code === 'string';
}

/** Formats a key with its environment variable, such as `gateway.port (environment variable FLEETPULSE_GATEWAY_PORT)`. */
function keyWithVariable(key: string): string {
  return `${key} (environment variable ${variableName(ENV_PREFIX, key.split('.'))})`;
}

/** Matches the lock error of DuckDB 1.x, such as `IO Error: Could not set lock on file "/x/fleetpulse.duckdb": Conflicting lock is held in /usr/bin/node (PID 4242). See also …`. */
const DUCKDB_LOCK = /Could not set lock on file "([^"]+)": Conflicting lock is held in (.+?) \(PID (\d+)\)/;

/**
 * Turns a startup failure that the user can fix into a StartupError whose
 * message names the configuration key and environment variable to change.
 * Returns undefined for any other error, which the CLI then prints in full.
 *
 * ```ts
 * try { await startPipeline(config, options); } catch (error) { throw explainStartupError(error, config, roles) ?? error; }
 * ```
 */
export function explainStartupError(error: unknown, config: FleetpulseConfig, roles: readonly Role[]): StartupError | undefined {
  if (isListenError(error)) return explainListenError(error, config, roles);

  const lock = error instanceof Error ? DUCKDB_LOCK.exec(error.message) : null;
  if (lock) {
    const [, file, program, pid] = lock;
    return new StartupError(
      `cannot open the DuckDB file ${file}: another process (PID ${pid}, ${program}) has it open, probably another fleetpulse run with the same data_dir. ` +
        `Stop that process, or give this one another ${keyWithVariable('data_dir')} or ${keyWithVariable('store.duckdb.path')}`,
      { cause: error },
    );
  }
  return undefined;
}

/**
 * Explains a listen error of the gateway's server when this process runs the
 * gateway role, otherwise of the dashboard's own server. Returns undefined
 * when the error names a port other than the configured one.
 */
function explainListenError(error: ListenError, config: FleetpulseConfig, roles: readonly Role[]): StartupError | undefined {
  const section = roles.includes('gateway') ? 'gateway' : roles.includes('dashboard') ? 'dashboard' : undefined;
  if (section === undefined) return undefined;
  const configuredPort = section === 'gateway' ? config.gateway.port : config.dashboard.port;
  if (error.port !== undefined && configuredPort !== 0 && error.port !== configuredPort) return undefined;

  const address = `${error.address ?? '?'}:${error.port ?? configuredPort}`;
  const hostKey = section === 'gateway' || config.dashboard.host !== undefined ? `${section}.host` : 'gateway.host';
  switch (error.code) {
    case 'EADDRINUSE':
      return new StartupError(
        `cannot listen on ${address}: another process already listens there (another fleetpulse run?). Stop it, or choose a free port with ${keyWithVariable(`${section}.port`)}`,
        { cause: error },
      );
    case 'EACCES':
      return new StartupError(
        `cannot listen on ${address}: permission denied; ports below 1024 need root or the CAP_NET_BIND_SERVICE capability. Choose a port from 1024 up with ${keyWithVariable(`${section}.port`)}`,
        { cause: error },
      );
    case 'EADDRNOTAVAIL':
      return new StartupError(
        `cannot listen on ${address}: the address belongs to no interface of this host. Set ${keyWithVariable(hostKey)} to one of its addresses, 127.0.0.1 for loopback only or 0.0.0.0 for every interface`,
        { cause: error },
      );
    default:
      return undefined;
  }
}
