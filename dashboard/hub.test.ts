import t, { type Test } from 'tap';
import { ManualClock } from '../pipeline/clock/index.js';
import { silentLogger } from '../pipeline/log/logger.js';
import type { ChangesResponse, ServerMessage } from './client/protocol.js';
import { DashboardHub } from './hub.js';
import { RecordingSocket, reportBatch, T0, testFleet } from './test-support/fixtures.js';

function setup(t: Test, options: { retainMs?: number; socketMaxAgeMs?: number } = {}) {
  const clock = new ManualClock(T0);
  const fleet = testFleet();
  const hub = new DashboardHub({
    fleet,
    clock,
    logger: silentLogger,
    settings: { sparklinePoints: 5, lateIntervals: 2, pollIntervalMs: 2_000 },
    pushIntervalMs: 250,
    socketMaxAgeMs: options.socketMaxAgeMs ?? 3_600_000,
    retainMs: options.retainMs ?? 60_000,
    heartbeatMs: 10_000,
    maxBufferedBytes: 1_000,
  });
  hub.start();
  t.teardown(() => hub.stop());
  return { clock, fleet, hub };
}

const messagesOf = (text: string) => (JSON.parse(text) as ChangesResponse).messages;

t.test('DashboardHub sends a snapshot, then batched diffs', async (t) => {
  const { clock, fleet, hub } = setup(t);
  const socket = new RecordingSocket();
  hub.addSocket(socket);
  t.same(socket.messages, [], 'nothing before the next tick');

  fleet.recordBatch(reportBatch('a', T0, { cpu: 1 }));
  await clock.advance(250);
  t.same(socket.messages.map((message) => [message.type, message.seq]), [['snapshot', 1]], 'the snapshot includes the first diff');

  fleet.recordBatch(reportBatch('b', T0 + 300, { cpu: 1 }));
  fleet.recordBatch(reportBatch('c', T0 + 400, { cpu: 1 }));
  await clock.advance(250);
  const diff = socket.messages[1]!;
  t.equal(diff.type, 'diff');
  t.equal(diff.seq, 2);
  t.same(diff.type === 'diff' && diff.added?.map((agent) => agent.id), ['b', 'c'], 'two reports in one push interval make one diff');
  t.equal(diff.now, T0 + 500);
});

t.test('DashboardHub sends heartbeats when idle', async (t) => {
  const { clock, hub } = setup(t);
  const socket = new RecordingSocket();
  hub.addSocket(socket);
  await clock.advance(250);
  await clock.advance(9_500);
  t.same(socket.messages.map((message) => message.type), ['snapshot']);
  await clock.advance(250);
  t.same(socket.messages.map((message) => message.type), ['snapshot', 'heartbeat']);
  t.equal(socket.messages[1]!.seq, 0, 'a heartbeat repeats the last seq');
});

t.test('DashboardHub serves changes to pollers', async (t) => {
  const { clock, fleet, hub } = setup(t, { retainMs: 1_000 });
  fleet.recordBatch(reportBatch('a', T0, { cpu: 1 }));
  await clock.advance(250);
  fleet.recordBatch(reportBatch('a', T0 + 10_000, { cpu: 2 }, { ts: T0 + 10_000 }));
  await clock.advance(250);

  const diffs = messagesOf(await hub.changesSince(hub.epoch, 0));
  t.same(diffs.map((message) => [message.type, message.seq]), [['diff', 1], ['diff', 2]]);
  t.same(messagesOf(await hub.changesSince(hub.epoch, 1)).map((message) => message.seq), [2]);
  t.same(messagesOf(await hub.changesSince(hub.epoch, 2)).map((message) => message.type), ['heartbeat'], 'a heartbeat when the poller is current');

  const snapshotFor = async (epoch: string | undefined, seq: number | undefined): Promise<string[]> => {
    const pending = hub.changesSince(epoch, seq);
    await clock.advance(250);
    return messagesOf(await pending).map((message) => message.type);
  };
  t.same(await snapshotFor('another-run', 1), ['snapshot'], 'a snapshot for another epoch');
  t.same(await snapshotFor(hub.epoch, 99), ['snapshot'], 'a snapshot for a seq from the future');
  t.same(await snapshotFor(hub.epoch, undefined), ['snapshot'], 'a snapshot without since');

  for (let i = 0; i < 8; i++) {
    fleet.recordBatch(reportBatch('a', T0 + 20_000 + i * 1_000, { cpu: i }));
    await clock.advance(250);
  }
  t.same(await snapshotFor(hub.epoch, 2), ['snapshot'], 'a snapshot once the diffs after since are no longer retained');
});

t.test('DashboardHub closes slow and old sockets', async (t) => {
  const { clock, fleet, hub } = setup(t, { socketMaxAgeMs: 10_000 });
  const slow = new RecordingSocket();
  const old = new RecordingSocket();
  hub.addSocket(slow);
  hub.addSocket(old);
  await clock.advance(250);

  slow.bufferedAmount = 5_000;
  fleet.recordBatch(reportBatch('a', clock.now(), { cpu: 1 }));
  await clock.advance(250);
  t.equal(slow.closed, 1013, 'a socket with too much unsent data is closed');
  t.equal(old.messages.length, 2);
  t.equal(hub.socketCount, 1);

  await clock.advance(10_000);
  t.equal(old.closed, 4000, 'a socket is closed at its maximum age');
  t.equal(hub.socketCount, 0);

  const late = new RecordingSocket();
  await hub.stop();
  hub.addSocket(late);
  t.equal(late.closed, 1001, 'a stopped hub closes new sockets');
});

t.test('DashboardHub serves snapshot requests at next tick', async (t) => {
  const { clock, fleet, hub } = setup(t);
  fleet.recordBatch(reportBatch('a', T0, { cpu: 1 }));
  const pending = hub.snapshot();
  let resolved = false;
  void pending.then(() => {
    resolved = true;
  });
  await Promise.resolve();
  t.equal(resolved, false);
  await clock.advance(250);
  const snapshot = JSON.parse(await pending) as ServerMessage;
  t.equal(snapshot.type, 'snapshot');
  t.equal(snapshot.seq, 1);
  t.same(snapshot.type === 'snapshot' && snapshot.agents.map((agent) => agent.id), ['a']);
});
