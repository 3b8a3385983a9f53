import t from 'tap';
import { parseRuleFile } from '../../grammar/rule-file.js';
import { ManualClock } from '../../pipeline/clock/index.js';
import type { AlertEvent } from '../../pipeline/messages/alert-event.js';
import type { IngestedBatch } from '../../pipeline/messages/metric-batch.js';
import { RuleEngine } from './engine.js';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const SECOND = 1_000;
const MINUTE = 60 * SECOND;

function rules(yaml: string) {
  const result = parseRuleFile(yaml, 'rules.yml', { receivers: ['oncall'] });
  if (result.diagnostics.length > 0) throw new Error(result.diagnostics.map((diagnostic) => diagnostic.message).join('\n'));
  return result.rules;
}

function batch(agentId: string, ts: number, values: Record<string, number>, labels: Record<string, string> = {}, tags: Record<string, string> = {}): IngestedBatch {
  return {
    version: 1,
    agentId,
    tags,
    receivedAt: ts,
    samples: Object.entries(values).map(([metric, value]) => ({ metric, value, ts, labels })),
  };
}

const HIGH_CPU = `
- name: HighCPU
  condition: cpu_usage > 90
  duration: 3m
  severity: critical
`;

t.test('RuleEngine HighCPU fires after three minutes', async (t) => {
  const engine = new RuleEngine(rules(HIGH_CPU), { allowedLatenessMs: MINUTE });
  const transitions: Array<[number, string]> = [];
  const feed = (seconds: number, cpu: number) => {
    for (const event of engine.observe(batch('web-1', T0 + seconds * SECOND, { cpu_usage: cpu }))) {
      transitions.push([seconds, event.state]);
    }
  };

  feed(0, 50);
  for (let seconds = 10; seconds <= 180; seconds += 10) feed(seconds, 95);
  t.same(transitions, [[10, 'pending']], 'pending, not firing, before three minutes have passed');

  feed(190, 95);
  t.same(transitions, [[10, 'pending'], [190, 'firing']], 'fires once the condition has held for 3m');

  feed(200, 40);
  t.same(transitions.at(-1), [200, 'resolved']);
});

t.test('RuleEngine event carries labels and annotations', async (t) => {
  const engine = new RuleEngine(
    rules(`
- name: DiskFull
  condition: disk_used_pct > 90
  severity: warning
  notify: [oncall]
  labels: { team: storage }
  annotations:
    summary: "{{agent}} {{label.mount}} at {{value}}% in {{tag.region}}"
`),
    { allowedLatenessMs: MINUTE },
  );
  const events = engine.observe(batch('db-1', T0, { disk_used_pct: 97.5 }, { mount: '/data' }, { region: 'eu' }));
  t.equal(events.length, 1);
  t.match(events[0], {
    state: 'firing',
    sequence: 1,
    rule: 'DiskFull',
    severity: 'warning',
    agentId: 'db-1',
    value: 97.5,
    labels: { mount: '/data', team: 'storage', alertname: 'DiskFull', agent: 'db-1' },
    tags: { region: 'eu' },
    annotations: { summary: 'db-1 /data at 97.5% in eu' },
    notify: ['oncall'],
    activeAt: T0,
    at: T0,
  });
});

t.test('RuleEngine evaluates per anchor series', async (t) => {
  const engine = new RuleEngine(rules('- { name: DiskFull, condition: disk_used_pct > 90, severity: warning }'), { allowedLatenessMs: MINUTE });
  const first = engine.observe({
    version: 1,
    agentId: 'db-1',
    tags: {},
    receivedAt: T0,
    samples: [
      { metric: 'disk_used_pct', value: 95, ts: T0, labels: { mount: '/' } },
      { metric: 'disk_used_pct', value: 10, ts: T0, labels: { mount: '/data' } },
    ],
  });
  t.same(first.map((event) => event.labels.mount), ['/']);
});

t.test('RuleEngine windowed condition', async (t) => {
  const engine = new RuleEngine(rules('- { name: Sustained, condition: "avg(cpu_usage, 1m) > 80", severity: warning }'), { allowedLatenessMs: MINUTE });
  const states: string[] = [];
  // 100 then 50 within a minute: average 75, below 80.
  for (const [seconds, cpu] of [[0, 100], [30, 50], [60, 100], [90, 100]] as const) {
    for (const event of engine.observe(batch('web-1', T0 + seconds * SECOND, { cpu_usage: cpu }))) states.push(`${seconds}:${event.state}`);
  }
  // At 60 s the window (0, 60] holds 50 and 100: 75. At 90 s it holds 100 and 100.
  t.same(states, ['0:firing', '30:resolved', '90:firing']);
});

t.test('RuleEngine resolve condition hysteresis', async (t) => {
  const engine = new RuleEngine(rules('- { name: HighCPU, condition: cpu_usage > 90, resolve: cpu_usage < 80, severity: critical }'), { allowedLatenessMs: MINUTE });
  const states = [95, 85, 85, 70].flatMap((cpu, i) => engine.observe(batch('web-1', T0 + i * 10 * SECOND, { cpu_usage: cpu })).map((event) => `${cpu}:${event.state}`));
  t.same(states, ['95:firing', '70:resolved']);
});

t.test('RuleEngine fires, resolves and fires again', async (t) => {
  const engine = new RuleEngine(rules('- { name: HighCPU, condition: cpu_usage > 90, severity: critical }'), { allowedLatenessMs: MINUTE });
  const events: AlertEvent[] = [95, 10, 95, 10].flatMap((cpu, i) => engine.observe(batch('web-1', T0 + i * 10 * SECOND, { cpu_usage: cpu })));
  t.same(events.map((event) => [event.state, event.sequence]), [['firing', 1], ['resolved', 2], ['firing', 3], ['resolved', 4]]);
  t.equal(new Set(events.map((event) => event.fingerprint)).size, 1, 'one alert identity across episodes');
  t.equal(events[2]!.activeAt, T0 + 20 * SECOND, 'a new episode has a new activeAt');
});

t.test('RuleEngine batch spanning minutes passes every state', async (t) => {
  const engine = new RuleEngine(rules(HIGH_CPU), { allowedLatenessMs: MINUTE });
  // An agent catching up after an outage sends 5 minutes of samples at once.
  const samples = Array.from({ length: 31 }, (_, i) => ({ metric: 'cpu_usage', value: i < 25 ? 95 : 10, ts: T0 + i * 10 * SECOND, labels: {} }));
  const events = engine.observe({ version: 1, agentId: 'web-1', tags: {}, receivedAt: T0 + 5 * MINUTE, samples });
  t.same(events.map((event) => [event.state, (event.at - T0) / SECOND]), [['pending', 0], ['firing', 180], ['resolved', 250]]);
});

t.test('RuleEngine late samples within and beyond lateness', async (t) => {
  const engine = new RuleEngine(rules('- { name: Sustained, condition: "max(cpu_usage, 5m) > 90", severity: warning }'), { allowedLatenessMs: MINUTE });
  engine.observe(batch('web-1', T0 + 2 * MINUTE, { cpu_usage: 10 }));
  const late = engine.observe(batch('web-1', T0 + 90 * SECOND, { cpu_usage: 99 }));
  t.same(late.map((event) => event.state), ['firing'], 'a sample 30 s late still counts');
  t.equal(engine.stats().lateSamples, 0);

  engine.observe(batch('web-1', T0 - 10 * MINUTE, { cpu_usage: 99 }));
  t.equal(engine.stats().lateSamples, 1, 'a sample beyond the lateness is counted and dropped');
});

t.test('RuleEngine joins selectors on shared labels', async (t) => {
  const engine = new RuleEngine(rules('- { name: DiskAndInodes, condition: disk_used_pct > 90 and disk_inodes_pct > 80, severity: warning }'), { allowedLatenessMs: MINUTE });
  const events = engine.observe({
    version: 1,
    agentId: 'db-1',
    tags: {},
    receivedAt: T0,
    samples: [
      { metric: 'disk_used_pct', value: 95, ts: T0, labels: { mount: '/' } },
      { metric: 'disk_used_pct', value: 95, ts: T0, labels: { mount: '/data' } },
      { metric: 'disk_inodes_pct', value: 50, ts: T0, labels: { mount: '/' } },
      { metric: 'disk_inodes_pct', value: 85, ts: T0, labels: { mount: '/data' } },
    ],
  });
  t.same(events.map((event) => event.labels.mount), ['/data']);
});

t.test('RuleEngine absent uses the processing clock', async (t) => {
  const clock = new ManualClock(T0);
  const engine = new RuleEngine(rules('- { name: Silent, condition: absent(1m), severity: critical }'), { allowedLatenessMs: MINUTE, clock });
  t.same(engine.observe(batch('web-1', T0, { cpu_usage: 10 })), []);

  await clock.advance(59 * SECOND);
  t.same(engine.tick(), []);
  await clock.advance(SECOND);
  t.same(engine.tick().map((event) => event.state), ['firing']);
  t.same(engine.tick(), [], 'fires once per outage');

  const back = engine.observe({ ...batch('web-1', clock.now(), { cpu_usage: 10 }), receivedAt: clock.now() });
  t.same(back.map((event) => event.state), ['resolved']);
});

t.test('RuleEngine setRules swaps and retires', async (t) => {
  const engine = new RuleEngine(rules('- { name: HighCPU, condition: cpu_usage > 90, severity: critical }'), { allowedLatenessMs: MINUTE });
  engine.observe(batch('web-1', T0, { cpu_usage: 95 }));

  const kept = engine.setRules(rules('- { name: HighCPU, condition: cpu_usage > 80, severity: critical }'));
  t.same(kept, [], 'a rule that keeps its name keeps its alerts');
  t.same(engine.observe(batch('web-1', T0 + SECOND, { cpu_usage: 85 })), [], 'still firing under the new threshold');

  const retired = engine.setRules([]);
  t.same(retired.map((event) => [event.state, event.sequence]), [['resolved', 2]], 'a removed rule resolves its firing alerts');
});

t.test('RuleEngine dead-man for 1000 agents', async (t) => {
  const clock = new ManualClock(T0);
  const engine = new RuleEngine(rules('- { name: Silent, condition: absent(1m), severity: critical }'), { allowedLatenessMs: MINUTE, clock });
  const agents = Array.from({ length: 1_000 }, (_, i) => `agent-${i}`);
  const silent = new Set(agents.slice(0, 10));
  const transitions: AlertEvent[] = [];

  // Every agent reports every 10 s for 5 minutes, and ten of them stop after the first minute.
  for (let seconds = 0; seconds <= 300; seconds += 10) {
    await clock.set(T0 + seconds * SECOND);
    for (const agentId of agents) {
      if (seconds > 60 && silent.has(agentId)) continue;
      transitions.push(...engine.observe({ ...batch(agentId, clock.now(), { cpu_usage: 1 }), receivedAt: clock.now() }));
    }
    transitions.push(...engine.tick());
  }

  const firing = transitions.filter((event) => event.state === 'firing');
  t.equal(firing.length, 10, 'exactly the ten silent agents fire');
  t.same(new Set(firing.map((event) => event.agentId)), silent);
  t.equal(firing[0]!.at, T0 + 120 * SECOND, 'a minute after the last batch');

  // The ten agents come back, and each of their alerts resolves once.
  await clock.advance(10 * SECOND);
  for (const agentId of silent) transitions.push(...engine.observe({ ...batch(agentId, clock.now(), { cpu_usage: 1 }), receivedAt: clock.now() }));
  transitions.push(...engine.tick());
  const resolved = transitions.filter((event) => event.state === 'resolved');
  t.equal(resolved.length, 10, 'each resolves once on its next batch');
  t.equal(engine.stats().deadlines, 1_000, 'one deadline per agent');
});

t.test('RuleEngine dead-man fires again after a new outage', async (t) => {
  const clock = new ManualClock(T0);
  const engine = new RuleEngine(rules('- { name: Silent, condition: absent(1m), duration: 30s, severity: critical }'), { allowedLatenessMs: MINUTE, clock });
  const states: string[] = [];
  const send = () => states.push(...engine.observe({ ...batch('web-1', clock.now(), { cpu_usage: 1 }), receivedAt: clock.now() }).map((event) => `${(clock.now() - T0) / SECOND}:${event.state}`));
  const tick = async (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      await clock.advance(SECOND);
      states.push(...engine.tick().map((event) => `${(clock.now() - T0) / SECOND}:${event.state}`));
    }
  };

  send();
  await tick(120);
  send();
  await tick(100);
  t.same(states, ['60:pending', '90:firing', '120:resolved', '180:pending', '210:firing']);
});

t.test('RuleEngine stale series resolves its alert', async (t) => {
  const clock = new ManualClock(T0);
  const engine = new RuleEngine(rules('- { name: DiskFull, condition: disk_used_pct > 90, severity: warning }'), { allowedLatenessMs: MINUTE, clock, stalenessMs: 5 * MINUTE });
  engine.observe({ ...batch('db-1', T0, { disk_used_pct: 95 }, { mount: '/mnt' }), receivedAt: T0 });

  await clock.advance(4 * MINUTE);
  t.same(engine.tick(), [], 'a silent series keeps its alert until the staleness limit');

  await clock.advance(MINUTE);
  const events = engine.tick();
  t.same(events.map((event) => [event.state, event.annotations.reason]), [['resolved', 'the series went stale']]);
  t.equal(engine.stats().series, 0);
  t.equal(engine.stats().staleSeries, 1);
});

t.test('RuleEngine snapshot and restore continue alerts', async (t) => {
  const ruleSet = rules(HIGH_CPU);
  const first = new RuleEngine(ruleSet, { allowedLatenessMs: MINUTE });
  const history: IngestedBatch[] = [];
  for (let seconds = 0; seconds <= 200; seconds += 10) history.push(batch('web-1', T0 + seconds * SECOND, { cpu_usage: 95 }));
  const original = history.flatMap((item) => first.observe(item));
  t.same(original.map((event) => event.state), ['pending', 'firing']);

  // A second replica takes over with the checkpoint and replays the history.
  const snapshots = JSON.parse(JSON.stringify(first.snapshot(['web-1', 'unknown']))) as ReturnType<RuleEngine['snapshot']>;
  t.equal(snapshots.length, 1);
  const second = new RuleEngine(ruleSet, { allowedLatenessMs: MINUTE });
  second.restore(snapshots);
  for (const item of history) t.same(second.observe(item, { replay: true }), [], 'replay emits nothing');

  t.same(second.observe(batch('web-1', T0 + 210 * SECOND, { cpu_usage: 96 })), [], 'still firing, not fired again');
  const resolved = second.observe(batch('web-1', T0 + 220 * SECOND, { cpu_usage: 10 }));
  t.same(resolved.map((event) => [event.state, event.sequence]), [['resolved', 3]]);
  t.equal(resolved[0]!.fingerprint, original[1]!.fingerprint);
  t.equal(resolved[0]!.activeAt, original[1]!.activeAt);
});

t.test('RuleEngine replay rebuilds windows', async (t) => {
  const ruleSet = rules('- { name: Sustained, condition: "avg(cpu_usage, 1m) > 80", severity: warning }');
  const engine = new RuleEngine(ruleSet, { allowedLatenessMs: MINUTE });
  engine.observe(batch('web-1', T0, { cpu_usage: 100 }), { replay: true });
  engine.observe(batch('web-1', T0 + 10 * SECOND, { cpu_usage: 100 }), { replay: true });
  const events = engine.observe(batch('web-1', T0 + 20 * SECOND, { cpu_usage: 50 }));
  t.same(events.map((event) => [event.state, event.value]), [['firing', 250 / 3]], 'the replayed samples count in the window');
});

t.test('RuleEngine drop forgets agents', async (t) => {
  const clock = new ManualClock(T0);
  const engine = new RuleEngine(rules('- { name: Silent, condition: absent(1m), severity: critical }'), { allowedLatenessMs: MINUTE, clock });
  engine.observe(batch('web-1', T0, { cpu_usage: 1 }));
  engine.drop(['web-1']);
  await clock.advance(2 * MINUTE);
  t.same(engine.tick(), [], 'a dropped agent has no deadline');
  t.equal(engine.stats().agents, 0);
});

t.test('RuleEngine z-score outliers with minimum samples', async (t) => {
  for (const fn of ['zscore', 'robust_zscore']) {
    const engine = new RuleEngine(rules(`- { name: Outlier, condition: "${fn}(latency_ms, 10m, 20) > 3", severity: warning }`), { allowedLatenessMs: MINUTE });
    const states: string[] = [];
    const feed = (i: number, value: number) => {
      for (const event of engine.observe(batch('web-1', T0 + i * 10 * SECOND, { latency_ms: value }))) states.push(`${i}:${event.state}:${event.value.toFixed(1)}`);
    };

    // A spike at the 10th sample is not scored, because the window contains fewer than 20 samples.
    for (let i = 0; i < 9; i++) feed(i, 10 + (i % 3));
    feed(9, 500);
    t.same(states, [], `${fn}: no score before 20 samples`);

    for (let i = 10; i < 40; i++) feed(i, 10 + (i % 3));
    feed(40, 500);
    t.equal(states.length, 1, `${fn}: the spike after 20 samples fires`);
    t.match(states[0], /^40:firing:/);
    t.ok(Number(states[0]!.split(':')[2]) > 3, `${fn}: the event carries the score as its value`);
  }
});

t.test('RuleEngine names the outlier metric', async (t) => {
  const engine = new RuleEngine(
    rules(`
- { name: Slow, condition: "cpu_usage > 90 and robust_zscore(latency_ms, 10m) > 3", severity: warning }
- { name: Busy, condition: "cpu_usage > 90", severity: warning }
`),
    { allowedLatenessMs: MINUTE },
  );
  for (let i = 0; i < 10; i++) engine.observe(batch('web-1', T0 + i * 10 * SECOND, { cpu_usage: 50, latency_ms: 10 + (i % 3) }));

  const events = engine.observe(batch('web-1', T0 + 100 * SECOND, { cpu_usage: 95, latency_ms: 500 }));
  const byRule = new Map(events.map((event) => [event.rule, event]));
  t.equal(byRule.get('Slow')?.outlierMetric, 'latency_ms', 'the metric of the robust_zscore call, not the anchor cpu_usage');
  t.ok(byRule.has('Busy'), 'the threshold rule fired too');
  t.notOk('outlierMetric' in byRule.get('Busy')!, 'absent without zscore or robust_zscore');
});
