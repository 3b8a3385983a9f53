import t from 'tap';
import { parseTagFilter } from './filter.js';
import { FleetModel } from './fleet-model.js';
import type { AgentView, DiffMessage, SnapshotMessage } from './protocol.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function agent(id: string, overrides: Partial<AgentView> = {}): AgentView {
  return { id, status: 'up', lastSeen: NOW, intervalMs: 10_000, silentAfterMs: 60_000, tags: { env: 'prod' }, values: [1, 2, 3, 4], sparklines: [[1], [2], [3], [4]], ...overrides };
}

function snapshot(agents: AgentView[], seq = 5): SnapshotMessage {
  return { type: 'snapshot', epoch: 'e1', seq, now: NOW, settings: { sparklinePoints: 3, lateIntervals: 2, pollIntervalMs: 2_000 }, agents, alerts: [] };
}

function diff(seq: number, changes: Omit<DiffMessage, 'type' | 'epoch' | 'seq' | 'now'>, epoch = 'e1'): DiffMessage {
  return { type: 'diff', epoch, seq, now: NOW + seq, ...changes };
}

const all = { search: '', tags: [], statuses: new Set<never>() };

t.test('FleetModel applies a snapshot and diffs in order', async (t) => {
  const model = new FleetModel();
  t.equal(model.apply(diff(1, {}), NOW), 'resync', 'a diff before any snapshot');
  t.equal(model.apply(snapshot([agent('a'), agent('b')]), NOW - 500), 'applied');
  t.equal(model.clockOffsetMs, 500, 'the server clock runs 500 ms ahead');

  t.equal(model.apply(diff(6, { removed: ['b'], added: [agent('c')], changed: [{ id: 'a', status: 'late', appended: [[5, 6, 7], [], [], []] }] }), NOW), 'applied');
  t.same([...model.agents.keys()].sort(), ['a', 'c']);
  t.equal(model.agents.get('a')!.status, 'late');
  t.same(model.agents.get('a')!.sparklines[0], [5, 6, 7], 'a sparkline keeps sparklinePoints values');
  t.equal(model.agents.get('a')!.rev, 1);

  t.equal(model.apply(diff(6, { removed: ['a'] }), NOW), 'applied', 'a repeated diff is ignored');
  t.ok(model.agents.has('a'));
  t.equal(model.apply(diff(8, {}), NOW), 'resync', 'a gap in seq');
  t.equal(model.apply(diff(7, {}, 'e2'), NOW), 'resync', 'another epoch');
  t.equal(model.apply(diff(7, { changed: [{ id: 'zzz', status: 'up' }] }), NOW), 'resync', 'a change to an unknown agent');
  t.equal(model.apply({ type: 'heartbeat', epoch: 'e1', seq: 6, now: NOW + 1_000 }, NOW), 'applied');
  t.equal(model.clockOffsetMs, 1_000);
  t.equal(model.apply({ type: 'heartbeat', epoch: 'e1', seq: 9, now: NOW }, NOW), 'resync', 'a heartbeat ahead of the model');
});

t.test('FleetModel applies alerts resolved before firing', async (t) => {
  const model = new FleetModel();
  model.apply(snapshot([agent('a')]), NOW);
  const alert = { fingerprint: 'f1', rule: 'HighCPU', severity: 'critical' as const, agentId: 'a', activeAt: NOW, firingSince: NOW, value: 95, summary: '', silencesAgent: false };
  model.apply(diff(6, { firing: [alert] }), NOW);
  t.same(model.firingAlerts().map((entry) => entry.fingerprint), ['f1']);
  model.apply(diff(7, { resolved: ['f1'], firing: [{ ...alert, activeAt: NOW + 1 }] }), NOW);
  t.equal(model.alerts.get('f1')?.activeAt, NOW + 1, 'a new episode of the same fingerprint stays');
  model.apply(diff(8, { resolved: ['f1'] }), NOW);
  t.same(model.firingAlerts(), []);
});

t.test('FleetModel selects by status, search and tags', async (t) => {
  const model = new FleetModel();
  model.apply(
    snapshot([
      agent('web-2', { tags: { env: 'prod', role: 'web' } }),
      agent('web-1', { tags: { env: 'prod', role: 'web' }, status: 'silent' }),
      agent('DB-1', { tags: { env: 'prod', role: 'db' }, status: 'late' }),
      agent('dev-1', { tags: { env: 'dev' } }),
    ]),
    NOW,
  );
  t.same(model.select(all).map((entry) => entry.id), ['web-1', 'DB-1', 'dev-1', 'web-2'], 'silent first, then late, then by id');
  t.same(model.select({ ...all, search: 'db' }).map((entry) => entry.id), ['DB-1'], 'search ignores case');
  t.same(model.select({ ...all, statuses: new Set(['up'] as const) }).map((entry) => entry.id), ['dev-1', 'web-2']);
  t.same(model.select({ ...all, tags: parseTagFilter('env=prod role!=db').matchers }).map((entry) => entry.id), ['web-1', 'web-2']);
  t.same(model.select({ ...all, tags: parseTagFilter('role=w*').matchers }).map((entry) => entry.id), ['web-1', 'web-2'], 'a glob');
  t.same(model.select({ ...all, tags: parseTagFilter('constructor=function*').matchers }), [], 'inherited object keys are not tags');

  const first = model.select(all);
  t.equal(model.select(all), first, 'the selection is reused while nothing moved');
  model.apply(diff(6, { changed: [{ id: 'web-2', values: [9, 9, 9, 9] }] }), NOW);
  t.equal(model.select(all), first, 'a value change does not reorder');
  model.apply(diff(7, { changed: [{ id: 'web-2', status: 'silent' }] }), NOW);
  t.same(model.select(all).map((entry) => entry.id), ['web-1', 'web-2', 'DB-1', 'dev-1'], 'a status change reorders');
  t.same(model.counts(), { up: 1, late: 1, silent: 2 });
  t.same(model.tagSuggestions(2), ['env=prod', 'role=web']);
});

t.test('parseTagFilter reports terms it cannot read', async (t) => {
  const parsed = parseTagFilter('env=prod, 9bad=x region');
  t.equal(parsed.matchers.length, 1);
  t.same(parsed.errors, ['expected key=value or key!=value, found "9bad=x"', 'expected key=value or key!=value, found "region"']);
  t.ok(parseTagFilter('name=a.b').matchers[0]!.test('a.b'));
  t.notOk(parseTagFilter('name=a.b').matchers[0]!.test('axb'), 'dots are literal');
});
