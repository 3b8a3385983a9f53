import t from 'tap';
import type { AlertState } from '../../pipeline/messages/alert-event.js';
import { evaluateLifecycle, type LifecycleRule, newLifecycle } from './lifecycle.js';

const MINUTE = 60_000;

/** Runs evaluations [minute, holds, resolveHolds?] and returns the transitions as [minute, state]. */
function run(rule: Partial<LifecycleRule>, steps: Array<[number, boolean, boolean?]>): Array<[number, AlertState]> {
  const full: LifecycleRule = { durationMs: 0, keepFiringForMs: 0, hasResolve: false, ...rule };
  const state = newLifecycle();
  const transitions: Array<[number, AlertState]> = [];
  for (const [minute, holds, resolveHolds] of steps) {
    const to = evaluateLifecycle(state, full, { now: minute * MINUTE, holds, resolveHolds: resolveHolds ?? false });
    if (to) transitions.push([minute, to]);
  }
  return transitions;
}

t.test('lifecycle without duration fires at once', async (t) => {
  t.same(run({}, [[0, false], [1, true], [2, true], [3, false]]), [[1, 'firing'], [3, 'resolved']]);
});

t.test('lifecycle fires after the duration', async (t) => {
  const steps: Array<[number, boolean]> = [[0, true], [1, true], [2, true], [2.99, true], [3, true], [4, true], [5, false]];
  t.same(run({ durationMs: 3 * MINUTE }, steps), [[0, 'pending'], [3, 'firing'], [5, 'resolved']]);
});

t.test('lifecycle pending cancelled before firing', async (t) => {
  t.same(run({ durationMs: 3 * MINUTE }, [[0, true], [2, false], [3, true], [5, true], [6, true]]), [
    [0, 'pending'],
    [2, 'inactive'],
    [3, 'pending'],
    [6, 'firing'],
  ]);
});

t.test('lifecycle keep_firing_for bridges gaps', async (t) => {
  // keep_firing_for counts from the first evaluation that no longer holds (minute 3).
  const rule = { keepFiringForMs: 2 * MINUTE };
  t.same(run(rule, [[0, true], [1, false], [2, true], [3, false], [4, false], [5, false]]), [[0, 'firing'], [5, 'resolved']]);
  t.same(run(rule, [[0, true], [1, false], [2.5, false], [3, false]]), [[0, 'firing'], [3, 'resolved']]);
});

t.test('lifecycle resolve condition adds hysteresis', async (t) => {
  // condition: cpu > 90; resolve: cpu < 80. At 85 the alert keeps firing.
  const cpu = [95, 85, 85, 75, 95];
  const steps = cpu.map((value, minute): [number, boolean, boolean] => [minute, value > 90, value < 80]);
  t.same(run({ hasResolve: true }, steps), [[0, 'firing'], [3, 'resolved'], [4, 'firing']]);
});

t.test('lifecycle fires again after resolving', async (t) => {
  t.same(run({}, [[0, true], [1, false], [2, true], [3, false]]), [[0, 'firing'], [1, 'resolved'], [2, 'firing'], [3, 'resolved']]);
});

t.test('lifecycle sequence counts transitions', async (t) => {
  const state = newLifecycle();
  const rule = { durationMs: MINUTE, keepFiringForMs: 0, hasResolve: false };
  evaluateLifecycle(state, rule, { now: 0, holds: true, resolveHolds: false });
  evaluateLifecycle(state, rule, { now: MINUTE, holds: true, resolveHolds: false });
  evaluateLifecycle(state, rule, { now: 2 * MINUTE, holds: false, resolveHolds: false });
  t.equal(state.sequence, 3);
  t.equal(state.phase, 'inactive');
  t.equal(state.activeAt, 0);
});
