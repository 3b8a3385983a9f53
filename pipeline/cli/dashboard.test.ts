import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError } from '../config/load.js';
import { silentLogger } from '../log/logger.js';
import { fleetpulseConfigSchema, loadFleetpulseConfig } from './config.js';
import { dashboardGroups, deadmanSettings } from './dashboard.js';
import { temporaryDirectory } from './test-support/files.js';

t.test('deadmanSettings finds dead-man groups and absent rules', async (t) => {
  const dir = temporaryDirectory(t, 'fleetpulse-dashboard-cli-');
  const rules = join(dir, 'rules.yml');
  writeFileSync(
    rules,
    `
- name: HostSilent
  condition: absent(2m)
  severity: critical
- name: NoCpuMetric
  condition: absent(cpu_usage, 5m)
  severity: warning
- name: HighCPU
  condition: cpu_usage > 90
  severity: critical
`,
  );
  const config = fleetpulseConfigSchema.parse({
    processor: { rule_files: [rules], deadman: [{ name: 'DatabaseSilent', match: { role: 'db' }, match_re: { zone: 'eu-.*' }, timeout: '90s' }] },
  });
  const settings = deadmanSettings(config, silentLogger);
  t.same(settings.thresholds, [{ name: 'DatabaseSilent', match: { role: 'db' }, matchRe: { zone: 'eu-.*' }, timeoutMs: 90_000 }]);
  t.same(settings.rules.sort(), ['DatabaseSilent', 'HostSilent'], 'absent() of one metric is not silence of the agent');
});

t.test('deadmanSettings keeps the groups when rule files fail', async (t) => {
  const dir = temporaryDirectory(t, 'fleetpulse-dashboard-cli-');
  const rules = join(dir, 'rules.yml');
  writeFileSync(rules, '- name: Broken\n  condition: cpu_usage >\n');
  const config = fleetpulseConfigSchema.parse({ processor: { rule_files: [rules], deadman: [{ name: 'AllSilent', timeout: '1m' }] } });
  t.same(deadmanSettings(config, silentLogger).rules, ['AllSilent']);
});

t.test('dashboardGroups per dashboard instance', async (t) => {
  t.same(dashboardGroups(fleetpulseConfigSchema.parse({})), { metrics: 'fleetpulse.dashboard-metrics', alerts: 'fleetpulse.dashboard-alerts' });
  t.same(dashboardGroups(fleetpulseConfigSchema.parse({ bus: { topic_prefix: 'p.' }, dashboard: { instance: 'host-2' } })), {
    metrics: 'p.dashboard-metrics-host-2',
    alerts: 'p.dashboard-alerts-host-2',
  });
});

t.test('dashboard configuration errors name the key', async (t) => {
  const dir = temporaryDirectory(t, 'fleetpulse-dashboard-cli-');
  const file = join(dir, 'fleetpulse.yml');
  writeFileSync(file, 'dashboard:\n  push_interval: 10ms\n  instance: "a b"\n');
  const error = t.throws(() => loadFleetpulseConfig(file, {})) as ConfigError;
  t.type(error, ConfigError);
  // Compares the line only, because the column points at either the key or its value.
  const lines = error.message.split('\n').map((line) => line.trim().replace(/^(.*?):(\d+):\d+: /, '$1:$2: '));
  t.ok(lines.includes(`${file}:2: dashboard.push_interval: must be at least 50 ms, found "10ms"`), 'push_interval below its minimum');
  t.ok(lines.includes(`${file}:3: dashboard.instance: expected letters, digits, dots, underscores and hyphens, such as the host name`), 'instance with a space');
});
