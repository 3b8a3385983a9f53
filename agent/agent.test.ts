import t from 'tap';
import { ManualClock } from '../pipeline/clock/index.js';
import { createLogger, silentLogger, type Logger } from '../pipeline/log/logger.js';
import type { MetricBatch } from '../pipeline/messages/metric-batch.js';
import { startAgent } from './agent.js';
import { agentConfigSchema, type AgentConfig } from './config.js';
import type { MetricSource } from './source.js';
import { TestGateway, type GatewayScript } from './test-gateway.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const TAGS = { env: 'test', region: 'local', role: 'db' };

/** A host with constant readings whose eth0 counters grow by 1000 (rx) and 500 (tx) bytes per collection. */
class FakeHost implements MetricSource {
  rounds = 0;
  /** While set, cpuUsage() waits for it, so a collection stays in progress. */
  gate: Promise<void> | undefined;

  cpuUsage = async (): Promise<number> => {
    this.rounds++;
    if (this.gate) await this.gate;
    return 12.5;
  };

  memory = async () => ({ totalBytes: 1_000, activeBytes: 250 });
  filesystems = async () => [{ device: '/dev/sda1', type: 'ext4', mount: '/', sizeBytes: 100, usedBytes: 40, availableBytes: 60 }];
  networkCounters = async () => [{ iface: 'eth0', rxBytes: 1_000 * this.rounds, txBytes: 500 * this.rounds, loopback: false }];
  loadAverage = async (): Promise<[number, number, number]> => [1, 2, 3];
  connectTcp = async (): Promise<number> => 0.5;
}

function config(gateway: TestGateway, overrides: Record<string, unknown> = {}): AgentConfig {
  return agentConfigSchema.parse({
    agent_id: 'host-1',
    gateway_url: gateway.url,
    interval: '10s',
    tags: TAGS,
    probe_targets: ['127.0.0.1:5432'],
    ...overrides,
  });
}

async function startGateway(t: { teardown(cleanup: () => unknown): void }, script?: GatewayScript): Promise<TestGateway> {
  const gateway = await TestGateway.start(script);
  t.teardown(() => gateway.close());
  return gateway;
}

/** Distinct sample times of the accepted samples, one per collection, in order. */
const collectionTimes = (gateway: TestGateway): number[] => [...new Set(gateway.acceptedSamples().map((sample) => sample.ts))];

const metricNames = (batch: MetricBatch | undefined): string[] => [...new Set(batch?.samples.map((sample) => sample.metric))].sort();

t.test('agent reports at start and every interval', async (t) => {
  const gateway = await startGateway(t);
  const clock = new ManualClock(START);
  const agent = startAgent(config(gateway), { logger: silentLogger, clock, source: new FakeHost() });

  await agent.flushNow();
  t.equal(gateway.accepted.length, 1, 'the first collection is sent at once');
  const first = gateway.accepted[0];
  t.same(metricNames(first), ['cpu_usage', 'disk_used_pct', 'latency_ms', 'load1', 'load15', 'load5', 'mem_used_pct', 'probe_success']);
  t.equal(first?.agentId, 'host-1');
  t.same(first?.tags, TAGS);
  t.ok(first?.samples.every((sample) => sample.ts === START));

  await clock.advance(10_000);
  await agent.flushNow();
  t.equal(gateway.accepted.length, 2);
  const second = gateway.accepted[1];
  t.ok(second?.samples.every((sample) => sample.ts === START + 10_000));
  t.equal(second?.samples.find((sample) => sample.metric === 'net_rx_bytes_per_s')?.value, 100, '1000 bytes in 10 s');

  await clock.advance(30_000);
  await agent.flushNow();
  t.same(collectionTimes(gateway), [START, START + 10_000, START + 20_000, START + 30_000, START + 40_000], 'one collection per interval');
  t.ok(gateway.accepted.every((batch) => JSON.stringify(batch.tags) === JSON.stringify(TAGS)), 'tags on every batch');

  await agent.stop();
  t.equal(clock.pendingTimers, 0, 'stop cancels the schedule');
  await clock.advance(60_000);
  t.equal(collectionTimes(gateway).length, 5, 'nothing is collected after stop');
  t.same(gateway.problems, []);
});

t.test('agent stop sends what is buffered', async (t) => {
  const gateway = await startGateway(t, (_batch, index) => (index === 0 ? { status: 503, headers: { 'retry-after': '60' } } : { status: 202 }));
  const clock = new ManualClock(START);
  const agent = startAgent(config(gateway), { logger: silentLogger, clock, source: new FakeHost() });

  await agent.flushNow();
  t.equal(gateway.requests.length, 1);
  t.equal(gateway.accepted.length, 0, 'the first attempt failed and the agent waits');

  await agent.stop();
  t.equal(gateway.accepted.length, 1, 'stop made one last attempt without waiting');
  t.equal(gateway.accepted[0]?.samples.length, gateway.requests[0]?.batch.samples.length);
  t.equal(clock.now(), START, 'without the clock moving');
});

t.test('agent skips a collection still running', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const logger: Logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  const gateway = await startGateway(t);
  const clock = new ManualClock(START);
  const host = new FakeHost();
  let release: () => void = () => undefined;
  host.gate = new Promise<void>((resolve) => (release = resolve));
  const agent = startAgent(config(gateway), { logger, clock, source: host });

  await clock.advance(20_000);
  t.equal(host.rounds, 1, 'no second collection while the first runs');
  t.equal(lines.filter((line) => line.msg === 'previous collection still running; skipping this one').length, 1, 'logged once a minute');

  host.gate = undefined;
  release();
  await agent.flushNow();
  await clock.advance(10_000);
  await agent.flushNow();
  t.equal(host.rounds, 2, 'collections resume on the next interval');
  t.same(collectionTimes(gateway), [START, START + 30_000]);
  await agent.stop();
});

t.test('agent with the system source', async (t) => {
  const gateway = await startGateway(t);
  const agent = startAgent(config(gateway, { interval: '1s', probe_targets: [] }), { logger: silentLogger });

  await agent.flushNow();
  await agent.stop();

  t.same(gateway.problems, [], 'the gateway accepts the batch format');
  t.ok(gateway.accepted.length >= 1);
  const names = metricNames(gateway.accepted[0]);
  for (const metric of ['cpu_usage', 'mem_used_pct', 'disk_used_pct', 'load1', 'load5', 'load15']) {
    t.ok(names.includes(metric), `${metric} reported`);
  }
  t.match(gateway.accepted[0]?.host, { hostname: String, arch: String, platform: process.platform }, 'host facts of this host');
});

t.test('agent sends host facts with every batch', async (t) => {
  const gateway = await startGateway(t);
  const clock = new ManualClock(START);
  const facts = [{ hostname: 'db-1', os: 'Debian GNU/Linux', osRelease: '12', arch: 'x64' }, { hostname: 'db-1-renamed', os: 'Debian GNU/Linux', osRelease: '12', arch: 'x64' }];
  let reads = 0;
  const hostFacts = { read: async () => facts[Math.min(reads++, facts.length - 1)]! };
  const agent = startAgent(config(gateway), { logger: silentLogger, clock, source: new FakeHost(), hostFacts });

  await agent.flushNow();
  await clock.advance(10_000);
  await agent.flushNow();
  await agent.stop();

  t.same(gateway.problems, []);
  t.same(gateway.accepted.map((batch) => batch.host), facts, 'each collection rereads the facts');
});

t.test('agent sends batches when host facts fail', async (t) => {
  const gateway = await startGateway(t);
  const clock = new ManualClock(START);
  const hostFacts = {
    read: async () => {
      throw new Error('lsb_release not found');
    },
  };
  const agent = startAgent(config(gateway), { logger: silentLogger, clock, source: new FakeHost(), hostFacts });

  await agent.flushNow();
  await agent.stop();

  t.equal(gateway.accepted.length, 1, 'the samples are sent');
  t.equal(gateway.accepted[0]?.host, undefined, 'without host facts');
});
