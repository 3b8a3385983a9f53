import t from 'tap';
import { alertLabelSet, formatMatcher, MatcherError, matches, parseMatcher } from './matcher.js';

t.test('matcher parses the four operators', async (t) => {
  t.same(parseMatcher('env=prod'), { name: 'env', operator: '=', value: 'prod' });
  t.same(parseMatcher('env != "prod"'), { name: 'env', operator: '!=', value: 'prod' });
  t.same(parseMatcher('region=~"eu-.*"'), { name: 'region', operator: '=~', value: 'eu-.*' });
  t.same(parseMatcher('role!~db|cache'), { name: 'role', operator: '!~', value: 'db|cache' });
  t.same(parseMatcher('note="say \\"hi\\""'), { name: 'note', operator: '=', value: 'say "hi"' });
  t.equal(formatMatcher(parseMatcher('region=~eu-.*')), 'region=~"eu-.*"');
});

t.test('matcher rejects invalid text', async (t) => {
  t.throws(() => parseMatcher('env'), MatcherError);
  t.throws(() => parseMatcher('1env=x'), MatcherError);
  t.throws(() => parseMatcher('env="prod'), /no closing quote/);
  t.throws(() => parseMatcher('env=~"(prod"'), /invalid regular expression "\(prod"/);
  t.throws(
    () => parseMatcher('severity==critical'),
    { message: 'invalid matcher "severity==critical": the value "=critical" starts with =, a likely typo; write one operator (=, !=, =~ or !~) before the value, or quote the value to match it as written' },
  );
  t.same(parseMatcher('note="=x"'), { name: 'note', operator: '=', value: '=x' }, 'a quoted value may start with =');
});

t.test('matcher regex is fully anchored', async (t) => {
  const eu = parseMatcher('region=~eu-.*');
  t.ok(matches(eu, { region: 'eu-west' }));
  t.notOk(matches(eu, { region: 'us-eu-1' }));
  t.ok(matches(parseMatcher('team!=db'), {}), 'a missing label is empty');
  t.ok(matches(parseMatcher('team=""'), {}));
});

t.test('matcher label set prefers labels over tags', async (t) => {
  const labels = alertLabelSet({ tags: { env: 'prod', mount: 'tag' }, labels: { mount: '/data' }, rule: 'DiskFull', agentId: 'web-1', severity: 'critical' });
  t.same(labels, { env: 'prod', mount: '/data', alertname: 'DiskFull', agent: 'web-1', severity: 'critical' });
});
