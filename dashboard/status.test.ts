import t from 'tap';
import { ManualClock } from '../pipeline/clock/index.js';
import { silentLogger } from '../pipeline/log/logger.js';
import type { ServerMessage } from './client/protocol.js';
import { DashboardHub } from './hub.js';
import { DeadmanThresholds, deriveStatus } from './status.js';
import { alertEvent, RecordingSocket, reportBatch, T0, testFleet } from './test-support/fixtures.js';

t.test('deriveStatus at the boundaries', async (t) => {
  const agent = { lastSeen: T0, intervalMs: 10_000, silentAfterMs: 60_000, deadmanFiring: false };
  const cases: Array<[age: number, expected: string]> = [
    [0, 'up'],
    [20_000, 'up'],
    [20_001, 'late'],
    [60_000, 'late'],
    [60_001, 'silent'],
  ];
  for (const [age, expected] of cases) t.equal(deriveStatus(agent, T0 + age, 2), expected, `${age} ms after the last batch`);
  t.equal(deriveStatus({ ...agent, deadmanFiring: true }, T0, 2), 'silent', 'a firing dead-man alert wins');
  t.equal(deriveStatus(agent, T0 + 30_001, 3), 'late', 'late after three intervals');
  t.equal(deriveStatus(agent, T0 + 30_000, 3), 'up');
});

t.test('DeadmanThresholds pick the shortest matching timeout', async (t) => {
  const thresholds = new DeadmanThresholds(
    [
      { name: 'All', match: {}, matchRe: {}, timeoutMs: 300_000 },
      { name: 'Db', match: { role: 'db' }, matchRe: {}, timeoutMs: 60_000 },
      { name: 'Anchored', match: {}, matchRe: { zone: 'a' }, timeoutMs: 30_000 },
      { name: 'Missing', match: {}, matchRe: { rack: '' }, timeoutMs: 120_000 },
    ],
    600_000,
  );
  t.equal(thresholds.timeoutFor({ role: 'db', rack: '4' }, 'db4'), 60_000);
  t.equal(thresholds.timeoutFor({ role: 'web', rack: '4' }, 'web4'), 300_000);
  t.equal(thresholds.timeoutFor({ zone: 'ab', rack: '4' }, 'ab'), 300_000, 'regular expressions are anchored');
  t.equal(thresholds.timeoutFor({ zone: 'a', rack: '4' }, 'a'), 30_000);
  t.equal(thresholds.timeoutFor({}, 'none'), 120_000, 'a missing tag matches the empty string');
  t.equal(new DeadmanThresholds([], 600_000).timeoutFor({}, ''), 600_000, 'the fallback without groups');
});

/** Collects the statuses that the diffs carried, in order. */
function statusChanges(messages: readonly ServerMessage[]): string[] {
  return messages.flatMap((message) => (message.type === 'diff' ? [...(message.added ?? []), ...(message.changed ?? [])].flatMap((agent) => (agent.status ? [agent.status] : [])) : []));
}

t.test('agent status follows the injected clock', async (t) => {
  const clock = new ManualClock(T0);
  const fleet = testFleet();
  const hub = new DashboardHub({ fleet, clock, logger: silentLogger, settings: { sparklinePoints: 5, lateIntervals: 2, pollIntervalMs: 2_000 }, pushIntervalMs: 250, socketMaxAgeMs: 3_600_000 });
  const socket = new RecordingSocket();
  hub.start();
  t.teardown(() => hub.stop());
  hub.addSocket(socket);

  fleet.recordBatch(reportBatch('web-1', T0, { cpu: 5 }));
  await clock.advance(250);
  const statuses = (): string[] => statusChanges(socket.messages);
  const first = socket.messages[0];
  t.equal(first?.type, 'snapshot');
  t.equal(first?.type === 'snapshot' && first.agents[0]?.status, 'up');
  t.same(statuses(), []);

  await clock.advance(20_000);
  t.same(statuses(), ['late'], 'late once two intervals passed');
  await clock.advance(40_000);
  t.same(statuses(), ['late', 'silent'], 'silent after the 60 s timeout');

  fleet.recordBatch(reportBatch('web-1', clock.now(), { cpu: 5 }));
  await clock.advance(250);
  t.same(statuses(), ['late', 'silent', 'up'], 'up again with a new batch');

  fleet.recordAlert(alertEvent('AgentSilent', 'web-1', 'firing', clock.now(), clock.now()));
  await clock.advance(250);
  t.same(statuses(), ['late', 'silent', 'up', 'silent'], 'silent while its dead-man alert fires');
});
