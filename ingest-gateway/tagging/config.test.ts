import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { ConfigError, type ConfigIssue, loadConfig } from '../../pipeline/config/load.js';
import { gatewayConfigSchema } from '../config.js';
import { parseAddress } from './cidr.js';

/** The gateway section inside a whole configuration, so that issue keys start with `gateway.`. */
const schema = z.strictObject({ gateway: gatewayConfigSchema });

function load(t: { teardown(cleanup: () => unknown): void }, yaml: string, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-tagging-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'fleetpulse.yml');
  writeFileSync(file, yaml);
  return { file, load: () => loadConfig({ schema, file, envPrefix: 'FLEETPULSE_', env }) };
}

function issuesOf(run: () => unknown): Array<Pick<ConfigIssue, 'key' | 'message'>> {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(({ key, message }) => ({ key, message }));
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** A rules list whose entry 2 is `entry` (YAML flow mapping), after two valid ones. */
const withThirdRule = (entry: string): string => `
gateway:
  tagging:
    rules:
      - { match: { agent_id: 'web-.*' }, tags: { role: web } }
      - { match: { ip: 10.0.0.0/8 }, tags: { dc: fra } }
      - ${entry}
`;

t.test('tagging config compiles rules', async (t) => {
  const { load: run } = load(
    t,
    `
gateway:
  tagging:
    rules:
      - match: { ip: [10.20.0.0/16, 'fd00:20::/32'] }
        tags: { dc: fra }
      - match: { agent_id: 'db-.*', hostname: '.*\\.prod\\.example\\.com' }
        tags: { role: db, env: prod }
`,
  );
  const { rules } = run().gateway.tagging;

  t.equal(rules.length, 2);
  t.equal(rules[0]!.ip?.contains(parseAddress('10.20.1.1')), true);
  t.equal(rules[0]!.ip?.contains(parseAddress('fd00:20::1')), true);
  t.equal(rules[0]!.agentId, undefined);
  t.same(rules[0]!.tags, { dc: 'fra' });
  t.equal(rules[1]!.index, 1);
  t.equal(rules[1]!.agentId?.test('db-1'), true);
  t.equal(rules[1]!.agentId?.test('old-db-1'), false, 'the regex matches the whole agent id');
  t.equal(rules[1]!.hostname?.test('db-1.prod.example.com'), true);
  t.equal(rules[1]!.hostname?.test('db-1.prod.example.com.evil'), false, 'the regex matches the whole hostname');
});

t.test('tagging config defaults to no rules', async (t) => {
  t.same(gatewayConfigSchema.parse({}).tagging, { rules: [] });
});

t.test('tagging config reads rules from the environment', async (t) => {
  const env = { FLEETPULSE_GATEWAY_TAGGING_RULES: JSON.stringify([{ match: { ip: '192.0.2.0/24' }, tags: { dc: 'ams' } }]) };
  const { load: run } = load(t, 'gateway: {}\n', env);
  const { rules } = run().gateway.tagging;
  t.equal(rules.length, 1);
  t.equal(rules[0]!.ip?.contains(parseAddress('192.0.2.9')), true);
});

t.test('tagging config rejects invalid rules', async (t) => {
  const cases: Array<[entry: string, issues: Array<{ key: string; message: string }>]> = [
    [
      "{ match: { agent_id: 'web-(' }, tags: { a: b } }",
      [{ key: 'gateway.tagging.rules.2.match.agent_id', message: 'invalid regular expression "web-(": Unterminated group; write a JavaScript regular expression that matches the whole agent id, such as web-.*' }],
    ],
    [
      "{ match: { hostname: '*.example.com' }, tags: { a: b } }",
      [{ key: 'gateway.tagging.rules.2.match.hostname', message: 'invalid regular expression "*.example.com": Nothing to repeat; write a JavaScript regular expression that matches the whole hostname, such as .*\\.fra\\.example\\.com' }],
    ],
    [
      '{ match: { ip: 10.0.0.0/33 }, tags: { a: b } }',
      [{ key: 'gateway.tagging.rules.2.match.ip', message: 'invalid CIDR "10.0.0.0/33": invalid prefix length "33"; expected a whole number from 0 to 32 for an IPv4 network' }],
    ],
    [
      "{ match: { ip: [10.0.0.0/8, 'fd00::1/8'] }, tags: { a: b } }",
      [{ key: 'gateway.tagging.rules.2.match.ip.1', message: 'invalid CIDR "fd00::1/8": the address has bits set beyond the /8 prefix; write the network address (fd00::/8) or a longer prefix' }],
    ],
    [
      '{ match: { ip: web-1 }, tags: { a: b } }',
      [{ key: 'gateway.tagging.rules.2.match.ip', message: 'invalid CIDR "web-1": invalid IP address "web-1"; write a network as ADDRESS/PREFIX, such as 10.0.0.0/8 or fd00::/8, without a zone index' }],
    ],
    [
      '{ match: { ip: [] }, tags: { a: b } }',
      [{ key: 'gateway.tagging.rules.2.match.ip', message: 'expected a network such as 10.0.0.0/8, or a list of them, found an empty list' }],
    ],
    [
      '{ match: { ip: 10.0.0.0/8 }, tags: {} }',
      [{ key: 'gateway.tagging.rules.2.tags', message: 'must set at least one tag, such as { dc: fra }; a rule without tags changes nothing' }],
    ],
    [
      '{ match: { ip: 10.0.0.0/8 } }',
      [{ key: 'gateway.tagging.rules.2.tags', message: 'expected a mapping of tag names to values, such as { dc: fra }, found nothing' }],
    ],
    [
      "{ match: { ip: 10.0.0.0/8 }, tags: { 1dc: fra, dc-name: fra, rack: 7, agent_group: db } }",
      [
        { key: 'gateway.tagging.rules.2.tags.1dc', message: 'tag "1dc" = "fra": invalid name; expected letters, digits and underscores, not starting with a digit (at most 128 characters)' },
        { key: 'gateway.tagging.rules.2.tags.dc-name', message: 'tag "dc-name" = "fra": invalid name; expected letters, digits and underscores, not starting with a digit (at most 128 characters)' },
        { key: 'gateway.tagging.rules.2.tags.rack', message: 'tag "rack" = 7: expected a string, found 7' },
        {
          key: 'gateway.tagging.rules.2.tags.agent_group',
          message: 'tag "agent_group" = "db": agent_group is always the access token\'s group, so a rule cannot set it; give the credentials a group with fleetpulse credentials create --group',
        },
      ],
    ],
    [
      '{ match: {}, tags: { a: b } }',
      [{ key: 'gateway.tagging.rules.2.match', message: "must set at least one of agent_id, hostname and ip; to tag every agent, match agent_id: '.*'" }],
    ],
    [
      '{ tags: { a: b } }',
      [{ key: 'gateway.tagging.rules.2.match', message: 'missing; expected conditions such as { agent_id: web-.* } or { ip: 10.20.0.0/16 }' }],
    ],
  ];

  for (const [entry, issues] of cases) {
    const { load: run } = load(t, withThirdRule(entry));
    t.same(issuesOf(run), issues, entry);
  }
});

t.test('tagging config rejects unknown match keys', async (t) => {
  const { load: run } = load(t, withThirdRule('{ match: { agentid: web-1 }, tags: { a: b } }'));
  const issues = issuesOf(run);

  // The loader words the unknown key message, so this test checks only where it points.
  t.equal(issues.length, 2);
  t.match(issues[0], { key: 'gateway.tagging.rules.2.match.agentid', message: /^unknown key/ });
  t.same(issues[1], { key: 'gateway.tagging.rules.2.match', message: "must set at least one of agent_id, hostname and ip; to tag every agent, match agent_id: '.*'" });
});
