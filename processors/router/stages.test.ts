import t from 'tap';
import { ManualClock } from '../../pipeline/clock/index.js';
import { silentLogger } from '../../pipeline/log/logger.js';
import { alertLabelSet } from '../../pipeline/messages/matcher.js';
import { MemorySilenceStore } from '../../pipeline/state/silence-store.js';
import { FlappingStage, hasSettled, observeFlapping } from './flapping.js';
import { InhibitionStage } from './inhibition.js';
import { RouteTree } from './routing.js';
import { SilenceStage } from './silence-stage.js';
import { routerConfig, T0, transition } from './test-support/alerts.js';

const route = new RouteTree(routerConfig()).root;
const staged = (event: ReturnType<typeof transition>) => ({ event, labels: alertLabelSet(event) });

t.test('silence stage rereads after refresh', async (t) => {
  const clock = new ManualClock(T0);
  const store = new MemorySilenceStore({ clock });
  const stage = new SilenceStage(store, 1_000, clock, silentLogger);
  const alert = staged(transition('web-1', 'firing', T0));
  await stage.refresh();

  const silence = await store.create({ matchers: [{ name: 'agent', operator: '=~', value: 'web-.*' }], startsAt: T0, endsAt: T0 + 60_000, createdBy: 'bob', comment: 'deploy' });
  await stage.refresh();
  t.equal(stage.check(alert, route, clock.now()), undefined, 'not read within the refresh interval');

  await clock.advance(1_000);
  await stage.refresh();
  const suppression = stage.check(alert, route, clock.now());
  t.equal(suppression?.reason, 'silenced');
  t.equal(suppression?.silenceId, silence.id);
  t.equal(stage.check(staged(transition('db-1', 'firing', T0)), route, clock.now()), undefined, 'other agents pass');

  await clock.advance(59_000);
  t.equal(stage.check(alert, route, clock.now()), undefined, 'over at ends_at');
});

t.test('silence stage keeps silences when a read fails', async (t) => {
  const clock = new ManualClock(T0);
  let fail = false;
  const silence = { id: 's1', matchers: [{ name: 'agent', operator: '=' as const, value: 'web-1' }], startsAt: T0, endsAt: T0 + 60_000, createdBy: 'bob', comment: 'x', createdAt: T0, updatedAt: T0 };
  const stage = new SilenceStage({ list: async () => (fail ? Promise.reject(new Error('redis down')) : [silence]) }, 10, clock, silentLogger);
  await stage.refresh();
  fail = true;
  await clock.advance(20);
  await stage.refresh();
  t.equal(stage.check(staged(transition('web-1', 'firing', T0)), route, clock.now())?.silenceId, 's1');
});

t.test('inhibition stage needs equal labels', async (t) => {
  const config = routerConfig({ inhibit_rules: [{ source_matchers: ['alertname=AgentDown'], target_matchers: ['severity=warning'], equal: ['agent'] }] });
  const stage = new InhibitionStage(config.inhibit_rules);
  const down = transition('web-1', 'firing', T0, { rule: 'AgentDown', severity: 'critical' });
  t.ok(stage.isSource(down));
  t.notOk(stage.isSource({ ...down, state: 'resolved' }), 'a resolved alert is no source');
  stage.setSources([{ fingerprint: down.fingerprint, rule: down.rule, labels: alertLabelSet(down) }]);

  const sameAgent = stage.check(staged(transition('web-1', 'firing', T0)));
  t.equal(sameAgent?.inhibitedBy, down.fingerprint);
  t.match(sameAgent?.detail, /agent="web-1"/);
  t.equal(stage.check(staged(transition('web-2', 'firing', T0))), undefined, 'another agent');
  t.equal(stage.check(staged(transition('web-1', 'firing', T0, { severity: 'critical' }))), undefined, 'not a target');
});

t.test('flapping counts changes within the window', async (t) => {
  const config = routerConfig({ flapping: { max_changes: 2, window: '1m', settle_after: '2m' } }).flapping;
  let track;
  const states = ['firing', 'resolved', 'firing'] as const;
  let status;
  for (const [i, state] of states.entries()) {
    const observed = observeFlapping(track, transition('web-1', state, T0 + i * 10_000, { activeAt: T0 + i }), config);
    track = observed.track;
    status = observed.status;
  }
  t.same(status, { since: T0 + 20_000, lastChangeAt: T0 + 20_000, changes: 3 }, 'three changes within a minute flap');

  const replay = observeFlapping(track, transition('web-1', 'firing', T0 + 20_000, { activeAt: T0 + 2 }), config);
  t.ok(replay.replay, 'the same transition again is a replay');

  const stage = new FlappingStage(config);
  t.equal(stage.check({ ...staged(transition('web-1', 'firing', T0)), flapping: status }, route, T0 + 60_000)?.reason, 'flapping');
  t.ok(hasSettled(status!, T0 + 20_000 + 120_000, config), 'settled after settle_after');
  t.equal(stage.check({ ...staged(transition('web-1', 'firing', T0)), flapping: status }, route, T0 + 140_000), undefined);

  const later = observeFlapping(track, transition('web-1', 'resolved', T0 + 200_000, { activeAt: T0 + 2 }), config);
  t.equal(later.status, undefined, 'a change after settling starts over');
});

t.test('flapping off with max_changes 0', async (t) => {
  const config = routerConfig({ flapping: { max_changes: 0 } }).flapping;
  let track;
  for (let i = 0; i < 10; i++) track = observeFlapping(track, transition('web-1', i % 2 ? 'resolved' : 'firing', T0 + i, { activeAt: T0 + i }), config).track;
  t.equal(track!.flappingSince, undefined);
});
