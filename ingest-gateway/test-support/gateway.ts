import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayHttpClient, type HttpResponse } from '../../agent/http-client.js';
import { MemoryBus } from '../../pipeline/bus/memory-bus.js';
import { type Clock, systemClock } from '../../pipeline/clock/index.js';
import { silentLogger, type Logger } from '../../pipeline/log/logger.js';
import { MemoryAgentRegistry } from '../../pipeline/state/memory-agent-registry.js';
import { createGatewayApp } from '../app.js';
import { type GatewayConfig, gatewayConfigSchema } from '../config.js';
import { listen } from '../server.js';
import { loadGatewayTls, localTlsPaths } from '../tls/gateway-tls.js';
import { createTestSecurity, type TestSecurity, type TestSecurityOptions } from './security.js';

export const TEST_TOPIC = 'test.metrics';

export interface TestGatewayServer extends TestSecurity {
  url: string;
  bus: MemoryBus;
  /** The local CA's certificate file, which clients trust. */
  caFile: string;
  /** Sends one request over HTTPS with the local CA, and optionally a client certificate (PEM files). */
  request(path: string, init?: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; certFile?: string; keyFile?: string }): Promise<HttpResponse>;
}

export interface TestGatewayOptions extends Omit<TestSecurityOptions, 'clock' | 'config'> {
  clock?: Clock;
  /** Gateway configuration keys, parsed with the defaults. Port 0 and host 127.0.0.1 unless given. */
  config?: Record<string, unknown>;
  logger?: Logger;
}

/** Starts a whole gateway (security, HTTPS server, in-memory bus) on loopback, with a local CA in a temporary directory. */
export async function startTestGatewayServer(options: TestGatewayOptions = {}): Promise<TestGatewayServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const config: GatewayConfig = gatewayConfigSchema.parse({ host: '127.0.0.1', port: 0, ...options.config });
  const testSecurity = await createTestSecurity({ ...options, clock, config, logger });
  const bus = new MemoryBus({ topics: [{ name: TEST_TOPIC, partitions: 1 }], capacityPerPartition: 1_000, publishTimeoutMs: 1_000, clock });
  const app = createGatewayApp({ bus, metricsTopic: TEST_TOPIC, registry: new MemoryAgentRegistry(), config, clock, logger, security: testSecurity.security });
  const tls = loadGatewayTls(config, testSecurity.dataDir, logger);
  const server = await listen(app, { host: config.host, port: config.port, tls, onPlainHttp: () => testSecurity.security.counters.plainHttpRejected() });
  const caFile = localTlsPaths(testSecurity.dataDir).caCert;
  const clients: GatewayHttpClient[] = [];

  return {
    ...testSecurity,
    url: server.url,
    bus,
    caFile,
    request: async (path, init = {}) => {
      const client = new GatewayHttpClient({ caFile, certFile: init.certFile, keyFile: init.keyFile });
      clients.push(client);
      return client.request({ method: init.method ?? 'GET', url: `${server.url}${path}`, headers: init.headers ?? {}, body: init.body });
    },
    close: async () => {
      for (const client of clients) client.close();
      await server.close();
      await bus.close();
      await testSecurity.close();
    },
  };
}

/** Writes PEM text to a file in `dir` and returns its path. */
export function writePem(dir: string, name: string, pem: string): string {
  const file = join(dir, name);
  writeFileSync(file, pem, { mode: 0o600 });
  return file;
}

/** Returns a valid v1 batch of one sample for `agentId`, as JSON text. */
export function batchFor(agentId: string, ts = Date.now()): string {
  return JSON.stringify({ version: 1, agentId, samples: [{ metric: 'cpu_usage', value: 1, ts }] });
}

export interface TestApp extends TestSecurity {
  app: ReturnType<typeof createGatewayApp>;
  bus: MemoryBus;
}

/** Builds the gateway app without a server, for app.request. The security stores are files in a temporary directory unless given. */
export async function createTestApp(options: Omit<TestGatewayOptions, 'clock'> & { clock: Clock }): Promise<TestApp> {
  const logger = options.logger ?? silentLogger;
  const config: GatewayConfig = gatewayConfigSchema.parse({ ...options.config });
  const testSecurity = await createTestSecurity({ ...options, config, logger });
  const bus = new MemoryBus({ topics: [{ name: TEST_TOPIC, partitions: 1 }], capacityPerPartition: 1_000, publishTimeoutMs: 1_000, clock: options.clock });
  const app = createGatewayApp({ bus, metricsTopic: TEST_TOPIC, registry: new MemoryAgentRegistry(), config, clock: options.clock, logger, security: testSecurity.security });
  return {
    ...testSecurity,
    app,
    bus,
    close: async () => {
      await bus.close();
      await testSecurity.close();
    },
  };
}
