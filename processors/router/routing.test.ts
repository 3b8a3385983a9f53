import t from 'tap';
import { alertLabelSet } from '../../pipeline/messages/matcher.js';
import { RouteTree } from './routing.js';
import { routerConfig, transition } from './test-support/alerts.js';

const config = routerConfig({
  group_by: ['alertname'],
  repeat_interval: '2h',
  routes: [
    {
      name: 'prod',
      matchers: ['env="prod"'],
      receivers: ['pager'],
      group_wait: '10s',
      routes: [
        { name: 'prod-db', matchers: ['role=~"db|cache"'], receivers: ['dba'], group_by: ['alertname', 'region'] },
        { name: 'prod-eu', matchers: ['region=~"eu-.*"'], continue: true },
        { name: 'prod-web', matchers: ['role=web'], receivers: ['web'] },
      ],
    },
    { name: 'not-staging', matchers: ['env!=staging', 'group!~"canary.*"'] },
  ],
});
const tree = new RouteTree(config);
const idsFor = (tags: Record<string, string>): string[] => tree.match(alertLabelSet(transition('a', 'firing', 0, { tags }))).map((route) => route.id);

t.test('routing first match wins', async (t) => {
  t.same(idsFor({ env: 'prod', role: 'db', region: 'eu-west' }), ['prod-db'], 'stops at the first matching child');
  t.same(idsFor({ env: 'prod', role: 'web', region: 'eu-west' }), ['prod-eu', 'prod-web'], 'continue: true goes on to the next sibling');
  t.same(idsFor({ env: 'prod', role: 'web', region: 'us-east' }), ['prod-web']);
  t.same(idsFor({ env: 'prod', role: 'batch', region: 'us-east' }), ['prod'], 'a parent without matching child takes the alert');
});

t.test('routing default route at the root', async (t) => {
  t.same(idsFor({ env: 'staging' }), ['root']);
  t.same(idsFor({ env: 'dev', group: 'canary-1' }), ['root'], '!~ excludes');
  t.same(idsFor({ env: 'dev', group: 'blue' }), ['not-staging'], '!= and !~ match');
  t.same(idsFor({}), ['not-staging'], 'a missing label counts as empty');
});

t.test('routing inherits settings', async (t) => {
  const db = tree.get('prod-db')!;
  t.equal(db.groupWaitMs, 10_000, 'from the parent');
  t.equal(db.repeatIntervalMs, 7_200_000, 'from the root');
  t.same(db.groupBy, ['alertname', 'region'], 'its own');
  t.same(tree.get('prod-eu')!.receivers, ['pager'], 'receivers from the parent');
  t.equal(tree.get('not-staging')!.receivers, undefined, 'the root has the rule receivers');
});

t.test('routing assigns groups per receiver', async (t) => {
  const byRule = transition('db-1', 'firing', 0, { notify: ['ops', 'chat'], tags: { env: 'staging' } });
  const assignments = tree.assign(byRule, alertLabelSet(byRule));
  t.same(assignments.map((assignment) => assignment.receiver), ['ops', 'chat'], "the root uses the rule's notify list");
  t.equal(assignments[0]!.groupKey, 'root/ops:{alertname="HighCPU"}');

  const withoutNotify = transition('db-1', 'firing', 0, { tags: { env: 'staging' } });
  t.same(tree.assign(withoutNotify, alertLabelSet(withoutNotify)).map((a) => a.receiver), ['oncall'], 'else default_receivers');

  const db = transition('db-1', 'firing', 0, { notify: ['ops'], tags: { env: 'prod', role: 'db', region: 'eu-west' } });
  const [dbGroup] = tree.assign(db, alertLabelSet(db));
  t.equal(dbGroup!.receiver, 'dba', "a route's receivers take precedence");
  t.same(dbGroup!.groupLabels, { alertname: 'HighCPU', region: 'eu-west' });
  t.equal(dbGroup!.groupKey, 'prod-db/dba:{alertname="HighCPU",region="eu-west"}');
  t.match(dbGroup!.groupId, /^[0-9a-f]{20}$/);
});

t.test('routing group_by ... makes one group per alert', async (t) => {
  const perAlert = new RouteTree(routerConfig({ group_by: ['...'] }));
  const a = transition('web-1', 'firing', 0);
  const b = transition('web-2', 'firing', 0);
  t.not(perAlert.assign(a, alertLabelSet(a))[0]!.groupId, perAlert.assign(b, alertLabelSet(b))[0]!.groupId);
});

t.test('routing keeps route ids unique', async (t) => {
  const clashing = new RouteTree(
    routerConfig({
      routes: [
        { name: 'web', matchers: ['role=web'] },
        { name: 'web', matchers: ['role=api'] },
        { name: '3', matchers: ['role=db'] },
        { matchers: ['role=cache'] },
      ],
    }),
  );
  t.same(
    clashing.root.children.map((route) => route.id),
    ['web', '1', '3', '3#'],
    'a repeated name falls back to the position, a taken position gets #',
  );
  t.equal(clashing.get('3#')!.matchers[0]!.value, 'cache');
});
