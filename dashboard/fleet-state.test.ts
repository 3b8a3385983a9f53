import t from 'tap';
import { FleetModel } from './client/fleet-model.js';
import type { DiffMessage, SnapshotMessage } from './client/protocol.js';
import type { FleetState } from './fleet-state.js';
import { DeadmanThresholds } from './status.js';
import { alertEvent, reportBatch, T0, testFleet } from './test-support/fixtures.js';

const SETTINGS = { sparklinePoints: 5, lateIntervals: 2, pollIntervalMs: 2_000 };

function diffMessage(fleet: FleetState, seq: number, now: number): DiffMessage | undefined {
  fleet.refresh(now);
  const changes = fleet.takeDiff();
  return changes && { type: 'diff', epoch: 'e', seq, now, ...changes };
}

function snapshotMessage(fleet: FleetState, seq: number, now: number): SnapshotMessage {
  return { type: 'snapshot', epoch: 'e', seq, now, settings: SETTINGS, ...fleet.snapshot() };
}

t.test('FleetState diff adds a new agent with its whole view', async (t) => {
  const fleet = testFleet();
  fleet.recordBatch(reportBatch('web-1', T0, { cpu: 12.345, mem: 40, disk: 70, latency: 0.42 }, { tags: { env: 'prod' } }));

  const diff = diffMessage(fleet, 1, T0 + 100)!;
  t.same(diff.added, [
    {
      id: 'web-1',
      status: 'up',
      lastSeen: T0,
      intervalMs: 10_000,
      silentAfterMs: 60_000,
      tags: { env: 'prod' },
      values: [12.35, 40, 70, 0.42],
      sparklines: [[12.35], [40], [70], [0.42]],
    },
  ]);
  t.equal(diff.changed, undefined, 'a new agent is not also a change');
  t.equal(diffMessage(fleet, 2, T0 + 200), undefined, 'nothing changed since');
});

t.test('FleetState diff carries only changed fields', async (t) => {
  const fleet = testFleet();
  fleet.recordBatch(reportBatch('web-1', T0, { cpu: 10, mem: 40 }));
  diffMessage(fleet, 1, T0);

  fleet.recordBatch(reportBatch('web-1', T0 + 10_000, { cpu: 20, mem: 40 }));
  const diff = diffMessage(fleet, 2, T0 + 10_000)!;
  t.same(diff.changed, [{ id: 'web-1', lastSeen: T0 + 10_000, values: [20, 40, null, null], appended: [[20], [40], [], []] }], 'the interval estimate equals the default, so it is not carried');
  t.equal(diff.added, undefined);

  fleet.recordBatch(reportBatch('web-1', T0 + 20_000, { cpu: 20, mem: 40 }, { tags: { env: 'prod' } }));
  const tagged = diffMessage(fleet, 3, T0 + 20_000)!;
  t.same(tagged.changed, [{ id: 'web-1', lastSeen: T0 + 20_000, tags: { env: 'prod' }, appended: [[20], [40], [], []] }], 'equal values are appended but not changed');
});

t.test('FleetState diff skips a replayed batch', async (t) => {
  const fleet = testFleet();
  const batch = reportBatch('web-1', T0, { cpu: 10 });
  fleet.recordBatch(batch);
  diffMessage(fleet, 1, T0);

  fleet.recordBatch(batch);
  t.equal(diffMessage(fleet, 2, T0), undefined, 'a batch delivered twice changes nothing');
});

t.test('FleetState diff reports status changes on the clock', async (t) => {
  const fleet = testFleet();
  fleet.recordBatch(reportBatch('web-1', T0, { cpu: 10 }));
  diffMessage(fleet, 1, T0);

  t.equal(diffMessage(fleet, 2, T0 + 20_000), undefined, 'still up at exactly two intervals');
  t.same(diffMessage(fleet, 3, T0 + 20_001)!.changed, [{ id: 'web-1', status: 'late' }]);
  t.same(diffMessage(fleet, 4, T0 + 60_001)!.changed, [{ id: 'web-1', status: 'silent' }]);

  fleet.recordBatch(reportBatch('web-1', T0 + 61_000, { cpu: 11 }));
  t.match(diffMessage(fleet, 5, T0 + 61_000)!.changed, [{ id: 'web-1', status: 'up', lastSeen: T0 + 61_000 }]);
});

t.test('FleetState diff removes forgotten agents', async (t) => {
  const fleet = testFleet({ forgetAfterMs: 120_000 });
  fleet.recordBatch(reportBatch('web-1', T0, { cpu: 10 }));
  fleet.recordBatch(reportBatch('web-2', T0 + 100_000, { cpu: 10 }));
  diffMessage(fleet, 1, T0 + 100_000);

  const diff = diffMessage(fleet, 2, T0 + 120_001)!;
  t.same(diff.removed, ['web-1']);
  t.equal(fleet.size, 1);

  fleet.recordBatch(reportBatch('web-3', T0 + 121_000, { cpu: 10 }));
  fleet.refresh(T0 + 300_000);
  t.same(fleet.takeDiff()?.removed, ['web-2'], 'an agent added and forgotten within one diff is in neither list');
});

t.test('FleetState diff reports alerts firing and resolved', async (t) => {
  const fleet = testFleet();
  fleet.recordAlert(alertEvent('HighCPU', 'web-1', 'pending', T0, T0));
  t.equal(diffMessage(fleet, 1, T0), undefined, 'pending alerts are not shown');

  fleet.recordAlert(alertEvent('HighCPU', 'web-1', 'firing', T0, T0 + 60_000));
  const firing = diffMessage(fleet, 2, T0 + 60_000)!;
  t.same(firing.firing, [{ fingerprint: 'HighCPU:web-1', rule: 'HighCPU', severity: 'critical', agentId: 'web-1', activeAt: T0, firingSince: T0 + 60_000, value: 1, summary: 'HighCPU on web-1', silencesAgent: false }]);

  fleet.recordAlert(alertEvent('HighCPU', 'web-1', 'firing', T0, T0 + 60_000));
  t.equal(diffMessage(fleet, 3, T0 + 61_000), undefined, 'a repeated firing transition changes nothing');

  fleet.recordAlert(alertEvent('HighCPU', 'web-1', 'resolved', T0, T0 + 120_000));
  t.same(diffMessage(fleet, 4, T0 + 120_000)!.resolved, ['HighCPU:web-1']);

  fleet.recordAlert(alertEvent('HighCPU', 'web-1', 'firing', T0, T0 + 60_000));
  t.equal(diffMessage(fleet, 5, T0 + 121_000), undefined, 'a replayed firing of an ended episode changes nothing');

  fleet.recordAlert(alertEvent('HighCPU', 'web-1', 'firing', T0 + 200_000, T0 + 260_000));
  fleet.recordAlert(alertEvent('HighCPU', 'web-1', 'resolved', T0 + 200_000, T0 + 261_000));
  t.equal(diffMessage(fleet, 6, T0 + 262_000), undefined, 'an episode that fired and ended between two diffs is in neither list');
});

t.test('FleetState dead-man alert makes its agent silent', async (t) => {
  const fleet = testFleet();
  fleet.recordBatch(reportBatch('db-1', T0, { cpu: 10 }));
  diffMessage(fleet, 1, T0);

  fleet.recordAlert(alertEvent('AgentSilent', 'db-1', 'firing', T0, T0 + 5_000));
  const silent = diffMessage(fleet, 2, T0 + 5_000)!;
  t.same(silent.changed, [{ id: 'db-1', status: 'silent' }], 'silent although the last batch is 5 s old');
  t.equal(silent.firing?.[0]?.silencesAgent, true);

  fleet.recordAlert(alertEvent('AgentSilent', 'db-1', 'resolved', T0, T0 + 6_000));
  t.same(diffMessage(fleet, 3, T0 + 6_000)!.changed, [{ id: 'db-1', status: 'up' }]);
});

t.test('FleetState takes the dead-man timeout from matching groups', async (t) => {
  const thresholds = new DeadmanThresholds(
    [
      { name: 'DatabaseSilent', match: { role: 'db' }, matchRe: {}, timeoutMs: 30_000 },
      { name: 'EuSilent', match: {}, matchRe: { region: 'eu-.*' }, timeoutMs: 45_000 },
    ],
    60_000,
  );
  const fleet = testFleet({ thresholds });
  fleet.recordBatch(reportBatch('db-1', T0, { cpu: 1 }, { tags: { role: 'db', region: 'eu-west' } }));
  fleet.recordBatch(reportBatch('eu-1', T0, { cpu: 1 }, { tags: { role: 'web', region: 'eu-west' } }));
  fleet.recordBatch(reportBatch('us-1', T0, { cpu: 1 }, { tags: { role: 'web', region: 'us-east' } }));
  const added = diffMessage(fleet, 1, T0)!.added!;
  t.same(Object.fromEntries(added.map((agent) => [agent.id, agent.silentAfterMs])), { 'db-1': 30_000, 'eu-1': 45_000, 'us-1': 60_000 });

  fleet.recordBatch(reportBatch('us-1', T0 + 1_000, { cpu: 1 }, { tags: { role: 'db', region: 'us-east' } }));
  t.match(diffMessage(fleet, 2, T0 + 1_000)!.changed, [{ id: 'us-1', silentAfterMs: 30_000, tags: { role: 'db' } }], 'a tag change moves the timeout');
});

t.test('FleetState estimates the report interval from sample times', async (t) => {
  const fleet = testFleet();
  for (let i = 0; i < 6; i++) {
    // Received with jitter, but collected every 30 s.
    fleet.recordBatch(reportBatch('slow-1', T0 + i * 30_000 + (i % 2) * 4_000, { cpu: i }, { ts: T0 + i * 30_000 }));
  }
  // A second batch of one collection (a split batch) adds no gap.
  fleet.recordBatch(reportBatch('slow-1', T0 + 151_000, { mem: 3 }, { ts: T0 + 150_000 }));
  const view = diffMessage(fleet, 1, T0 + 151_000)!.added![0]!;
  t.equal(view.intervalMs, 30_000);
  t.equal(view.status, 'up', 'not late after 21 s with a 30 s interval');
  t.same(view.sparklines[0], [1, 2, 3, 4, 5], 'the ring keeps the newest five points');
});

t.test('FleetState keeps the fullest disk and the slowest target', async (t) => {
  const fleet = testFleet();
  fleet.recordBatch({
    version: 1,
    agentId: 'web-1',
    tags: {},
    receivedAt: T0,
    samples: [
      { metric: 'disk_used_pct', value: 40, ts: T0, labels: { mount: '/' } },
      { metric: 'disk_used_pct', value: 91, ts: T0, labels: { mount: '/data' } },
      { metric: 'latency_ms', value: 3, ts: T0, labels: { target: 'a:1' } },
      { metric: 'latency_ms', value: 1, ts: T0, labels: { target: 'b:1' } },
    ],
  });
  t.same(diffMessage(fleet, 1, T0)!.added![0]!.values, [null, null, 91, 3]);
});

t.test('FleetState snapshot and diffs add up on the page', async (t) => {
  const fleet = testFleet({ forgetAfterMs: 50_000 });
  const model = new FleetModel();
  let seq = 0;
  let now = T0;

  const step = (): void => {
    now += 5_000;
    const diff = diffMessage(fleet, seq + 1, now);
    if (diff) {
      seq += 1;
      t.equal(model.apply(diff, now), 'applied', `diff ${seq} applies`);
    }
  };

  // The page joins with a snapshot taken right after the first diff.
  fleet.recordBatch(reportBatch('a', now, { cpu: 1 }));
  if (diffMessage(fleet, seq + 1, now)) seq += 1;
  model.apply(snapshotMessage(fleet, seq, now), now);

  for (let round = 0; round < 20; round++) {
    if (round % 3 !== 0) fleet.recordBatch(reportBatch('a', now + 1, { cpu: round, latency: round / 10 }));
    if (round < 8) fleet.recordBatch(reportBatch(`b${round % 4}`, now + 2, { mem: round }, { tags: { env: round % 2 ? 'prod' : 'dev' } }));
    if (round === 5) fleet.recordAlert(alertEvent('AgentSilent', 'a', 'firing', now, now));
    if (round === 9) fleet.recordAlert(alertEvent('AgentSilent', 'a', 'resolved', now - 20_000, now));
    step();
  }

  const expected = new FleetModel();
  expected.apply(snapshotMessage(fleet, seq, now), now);
  const agentsWithoutRev = (fleetModel: FleetModel) => [...fleetModel.agents.values()].map(({ rev: _rev, ...agent }) => agent).sort((x, y) => (x.id < y.id ? -1 : 1));
  t.same(agentsWithoutRev(model), agentsWithoutRev(expected), 'agents equal a fresh snapshot');
  t.same([...model.alerts.values()], [...expected.alerts.values()], 'alerts equal a fresh snapshot');
  t.ok(model.agents.size > 0, 'some agents remain');
  t.ok(model.agents.size < 5, 'some agents were forgotten on the way');
});
