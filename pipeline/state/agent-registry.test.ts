import t from 'tap';
import type { IngestedBatch } from '../messages/metric-batch.js';
import { testServices, uniqueName } from '../test-support/services.js';
import type { AgentRegistry } from './agent-registry.js';
import { MemoryAgentRegistry } from './memory-agent-registry.js';
import { RedisAgentRegistry } from './redis-agent-registry.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function batch(agentId: string, receivedAt: number, samples: Array<[string, number, number, Record<string, string>?]>): IngestedBatch {
  return {
    version: 1,
    agentId,
    tags: { env: 'test' },
    receivedAt,
    samples: samples.map(([metric, value, ts, labels]) => ({ metric, value, ts, labels: labels ?? {} })),
  };
}

const registries: Array<[string, () => AgentRegistry]> = [
  ['MemoryAgentRegistry', () => new MemoryAgentRegistry()],
  ['RedisAgentRegistry', () => new RedisAgentRegistry(testServices.redisUrl, `${uniqueName('test')}:`)],
];

for (const [name, make] of registries) {
  t.test(`${name} keeps latest value per series`, async (t) => {
    const registry = make();
    t.teardown(() => registry.close());

    await registry.record(batch('web-1', T0 + 1_000, [
      ['cpu_usage', 10, T0],
      ['cpu_usage', 20, T0 + 500],
      ['disk_used_pct', 50, T0, { mount: '/' }],
      ['disk_used_pct', 70, T0, { mount: '/data' }],
    ]));
    // An older batch arriving late must not move values backwards.
    await registry.record(batch('web-1', T0 + 900, [['cpu_usage', 5, T0 - 1_000]]));

    const record = await registry.get('web-1');
    t.ok(record, 'agent is known');
    t.equal(record!.lastSeen, T0 + 1_000);
    t.same(record!.tags, { env: 'test' });
    const byKey = Object.fromEntries(record!.latest.map((latest) => [`${latest.metric}${latest.labels.mount ?? ''}`, latest.value]));
    t.same(byKey, { cpu_usage: 20, 'disk_used_pct/': 50, 'disk_used_pct/data': 70 });
  });

  t.test(`${name} keeps host facts`, async (t) => {
    const registry = make();
    t.teardown(() => registry.close());

    await registry.record(batch('web-1', T0, [['load1', 1, T0]]));
    t.equal((await registry.get('web-1'))!.host, undefined, 'no host facts before an agent reports some');

    await registry.record({ ...batch('web-1', T0 + 1_000, [['load1', 1, T0 + 1_000]]), host: { hostname: 'web-1.example.com', os: 'Debian GNU/Linux', arch: 'x64' } });
    await registry.record(batch('web-1', T0 + 2_000, [['load1', 1, T0 + 2_000]]));
    t.same((await registry.get('web-1'))!.host, { hostname: 'web-1.example.com', os: 'Debian GNU/Linux', arch: 'x64' }, 'a batch without host facts keeps them');

    await registry.record({ ...batch('web-1', T0 + 3_000, [['load1', 1, T0 + 3_000]]), host: { hostname: 'web-1b.example.com' } });
    t.same((await registry.list())[0]!.host, { hostname: 'web-1b.example.com' }, 'new host facts replace the old');
  });

  t.test(`${name} lists agents in id order`, async (t) => {
    const registry = make();
    t.teardown(() => registry.close());
    await registry.record(batch('b', T0, [['load1', 1, T0]]));
    await registry.record(batch('a', T0, [['load1', 2, T0]]));
    t.same((await registry.list()).map((record) => record.agentId), ['a', 'b']);
    t.equal(await registry.get('missing'), undefined);
  });
}
