import { Writable } from 'node:stream';
import t from 'tap';
import { ManualClock } from '../../pipeline/clock/index.js';
import { createLogger, silentLogger } from '../../pipeline/log/logger.js';
import { gatewayConfigSchema } from '../config.js';
import { type TagRequest, Tagger } from './tagger.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

function taggerFor(rules: unknown[], options: { cacheSize?: number } = {}): Tagger {
  const config = gatewayConfigSchema.parse({ tagging: { rules } });
  return new Tagger(config.tagging, { logger: silentLogger, clock: new ManualClock(NOW), ...options });
}

const principal = (overrides: Partial<TagRequest['principal']> = {}): TagRequest['principal'] => ({
  agentId: 'web-1',
  clientId: 'fpc_1',
  group: 'edge',
  tags: {},
  ...overrides,
});

const request = (overrides: Partial<TagRequest> = {}): TagRequest => ({
  agentId: 'web-1',
  agentTags: {},
  host: undefined,
  ip: '10.20.3.4',
  principal: principal(),
  ...overrides,
});

t.test('tagger merges sources in precedence order', async (t) => {
  const tagger = taggerFor([
    { match: { ip: '10.20.0.0/16' }, tags: { dc: 'fra', env: 'rule', os: 'rule-os' } },
    { match: { agent_id: 'web-.*' }, tags: { team: 'web' } },
  ]);
  const tags = tagger.tagsFor(
    request({
      agentTags: { env: 'agent', hostname: 'agent-says', team: 'agent', owner: 'alice' },
      host: { hostname: 'web-1.fra', os: 'Debian GNU/Linux', osRelease: '12', kernel: '6.1.0', arch: 'x64', platform: 'linux' },
      principal: principal({ tags: { team: 'token' } }),
    }),
  );

  t.same(tags, {
    owner: 'alice',
    hostname: 'web-1.fra',
    os_release: '12',
    kernel: '6.1.0',
    arch: 'x64',
    platform: 'linux',
    dc: 'fra',
    env: 'rule',
    os: 'rule-os',
    team: 'token',
    agent_group: 'edge',
  });
  t.equal(tags.hostname, 'web-1.fra', 'host facts beat the agent\'s own tags');
  t.equal(tags.os, 'rule-os', 'rules beat host facts');
  t.equal(tags.team, 'token', 'the token beats rules');
});

t.test('tagger applies every matching rule in order', async (t) => {
  const tagger = taggerFor([
    { match: { agent_id: '.*' }, tags: { tier: 'default', dc: 'unknown' } },
    { match: { ip: '10.20.0.0/16' }, tags: { dc: 'fra' } },
    { match: { ip: '10.30.0.0/16' }, tags: { dc: 'ams' } },
    { match: { ip: '10.20.3.0/24' }, tags: { rack: 'r3' } },
  ]);
  t.same(tagger.tagsFor(request()), { tier: 'default', dc: 'fra', rack: 'r3', agent_group: 'edge' });
  t.same(tagger.tagsFor(request({ ip: '10.30.0.1' })), { tier: 'default', dc: 'ams', agent_group: 'edge' });
});

t.test('tagger rule needs every condition', async (t) => {
  const tagger = taggerFor([{ match: { agent_id: 'db-.*', hostname: '.*\\.prod', ip: ['10.0.0.0/8', 'fd00::/8'] }, tags: { role: 'db' } }]);
  const host = { hostname: 'db-1.prod' };

  t.same(tagger.tagsFor(request({ agentId: 'db-1', host, ip: 'fd00::5' })).role, 'db', 'all three hold');
  t.equal(tagger.tagsFor(request({ agentId: 'db-1', host, ip: '192.0.2.1' })).role, undefined, 'ip outside the networks');
  t.equal(tagger.tagsFor(request({ agentId: 'web-1', host, ip: '10.1.1.1' })).role, undefined, 'agent id does not match');
  t.equal(tagger.tagsFor(request({ agentId: 'db-1', host: { hostname: 'db-1.dev' }, ip: '10.1.1.1' })).role, undefined, 'hostname does not match');
  t.equal(tagger.tagsFor(request({ agentId: 'db-1', host: undefined, ip: '10.1.1.1' })).role, undefined, 'an agent without host facts has no hostname');
  t.equal(tagger.tagsFor(request({ agentId: 'db-1', host, ip: '::ffff:10.1.1.1' })).role, 'db', 'an IPv4-mapped peer address');
  t.equal(tagger.tagsFor(request({ agentId: 'db-1', host, ip: 'unknown' })).role, undefined, 'no socket');
});

t.test('tagger agent_group is the token group', async (t) => {
  const tagger = taggerFor([]);
  const tags = tagger.tagsFor(request({ agentTags: { agent_group: 'forged' }, principal: principal({ group: 'db', tags: { agent_group: 'other' } }) }));
  t.same(tags, { agent_group: 'db' });
});

t.test('tagger drops keys differing only in case', async (t) => {
  const tagger = taggerFor([{ match: { agent_id: '.*' }, tags: { Dc: 'fra' } }]);
  const tags = tagger.tagsFor(
    request({
      agentTags: { DC: 'forged', HOSTNAME: 'forged', Env: 'a', env: 'b' },
      host: { hostname: 'web-1' },
      principal: principal({ tags: { dc: 'token' } }),
    }),
  );
  t.same(tags, { Env: 'a', env: 'b', hostname: 'web-1', dc: 'token', agent_group: 'edge' }, 'a later source replaces its key in any case; one source keeps both');
});

t.test('tagger keeps tags named like Object members', async (t) => {
  const tagger = taggerFor([]);
  const tags = tagger.tagsFor(request({ agentTags: { constructor: 'a', toString: 'b', hasOwnProperty: 'c' }, host: { hostname: 'web-1' } }));
  t.same(tags, { constructor: 'a', toString: 'b', hasOwnProperty: 'c', hostname: 'web-1', agent_group: 'edge' });
});

t.test('tagger leaves out invalid token tags', async (t) => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (chunk, _encoding, done) => void (lines.push(String(chunk)), done()) }) });
  const config = gatewayConfigSchema.parse({});
  const tagger = new Tagger(config.tagging, { logger, clock: new ManualClock(NOW) });

  const tags = tagger.tagsFor(request({ principal: principal({ tags: { 'bad-key': 'x', env: 'prod' } }) }));

  t.same(tags, { env: 'prod', agent_group: 'edge' });
  t.equal(lines.length, 1);
  t.match(JSON.parse(lines[0]!), { clientId: 'fpc_1', agentId: 'web-1', tag: 'bad-key', msg: 'left out an invalid tag of an access token; recreate the credentials with valid --tag names' });
});

t.test('tagger caches per agent, hostname, address and claims', async (t) => {
  const tagger = taggerFor([{ match: { ip: '10.20.0.0/16' }, tags: { dc: 'fra' } }]);
  const token = principal();

  tagger.tagsFor(request({ principal: token }));
  tagger.tagsFor(request({ principal: token, agentTags: { env: 'changed' } }));
  t.equal(tagger.cachedOverlays, 1, 'the agent\'s own tags are not part of the key');

  tagger.tagsFor(request({ principal: token, ip: '10.20.9.9' }));
  tagger.tagsFor(request({ principal: token, host: { hostname: 'renamed' } }));
  tagger.tagsFor(request({ principal: principal({ tags: { team: 'db' } }) }));
  t.equal(tagger.cachedOverlays, 4, 'address, hostname and claims each make an entry');

  tagger.tagsFor(request({ principal: principal() }));
  t.equal(tagger.cachedOverlays, 4, 'a new token with the same claims shares the entry');
});

t.test('tagger cache evicts the oldest entry', async (t) => {
  const tagger = taggerFor([{ match: { ip: '10.20.0.0/16' }, tags: { dc: 'fra' } }], { cacheSize: 2 });
  for (const ip of ['10.20.0.1', '10.20.0.2', '10.20.0.3', '192.0.2.1']) {
    tagger.tagsFor(request({ ip }));
  }
  t.equal(tagger.cachedOverlays, 2);
  t.same(tagger.tagsFor(request({ ip: '10.20.0.1' })), { dc: 'fra', agent_group: 'edge' }, 'an evicted entry is computed again');
});

t.test('tagger returns a new object', async (t) => {
  const tagger = taggerFor([{ match: { agent_id: '.*' }, tags: { dc: 'fra' } }]);
  const agentTags = { env: 'prod' };
  const first = tagger.tagsFor(request({ agentTags }));
  first.dc = 'changed';

  t.same(agentTags, { env: 'prod' }, 'the batch\'s tags are unchanged');
  t.equal(tagger.tagsFor(request({ agentTags })).dc, 'fra', 'the cached tags are unchanged');
});
