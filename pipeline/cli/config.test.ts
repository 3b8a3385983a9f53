import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { ConfigError, type ConfigIssue } from '../config/load.js';
import { loadFleetpulseConfig } from './config.js';
import { temporaryDirectory, writeTemporaryFile } from './test-support/files.js';

const RECEIVERS = `
notifier:
  receivers:
    - { name: console, type: console }
    - { name: pager, type: webhook, url: "https://pager.example.com/hook" }
`;

/** Writes `text` as a configuration file and returns the issues that loading it raises, as key, line and message. */
function issuesOf(t: Test, text: string): Array<{ key: string; line: number | undefined; message: string }> {
  const file = writeTemporaryFile(t, 'fleetpulse.yml', text, 'fleetpulse-config-');
  try {
    loadFleetpulseConfig(file, {});
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue: ConfigIssue) => ({ key: issue.key, line: lineOf(issue.source, file), message: issue.message }));
  }
  throw new Error('expected the configuration to be rejected');
}

/** Returns the line of a `file:line:column` source, or undefined for other sources. */
function lineOf(source: string, file: string): number | undefined {
  const match = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):\\d+$`).exec(source);
  return match ? Number(match[1]) : undefined;
}

t.test('startup check unknown receiver', async (t) => {
  const issues = issuesOf(
    t,
    `router:
  routes:
    - matchers: [env=prod]
      receivers: [pager, oncall]
${RECEIVERS}`,
  );
  t.same(issues, [{ key: 'router.routes.0.receivers.1', line: undefined, message: 'unknown receiver "oncall"; define it under notifier.receivers or name one of console, pager' }]);
});

t.test('startup check unknown receiver without receivers', async (t) => {
  const issues = issuesOf(t, 'router: { default_receivers: [console] }\nnotifier: { receivers: [] }\n');
  t.same(issues, [{ key: 'router.default_receivers.0', line: undefined, message: 'unknown receiver "console"; define it under notifier.receivers, which defines no receiver yet' }]);
});

t.test('startup check bad matchers', async (t) => {
  const issues = issuesOf(
    t,
    `router:
  routes:
    - matchers: ['region=~"(eu"', 'env prod']
      receivers: [pager]
      routes:
        - { matchers: ['severity==critical'] }
${RECEIVERS}`,
  );
  t.same(issues, [
    {
      key: 'router.routes.0.matchers.0',
      line: 3,
      message:
        'invalid regular expression "(eu" in a matcher: Invalid regular expression: /^(?:(eu)$/u: Unterminated group; write a JavaScript regular expression (matched against the whole value), or use = to match the text exactly',
    },
    { key: 'router.routes.0.matchers.1', line: 3, message: 'invalid matcher "env prod"; expected name=value, name!=value, name=~regex or name!~regex' },
    {
      key: 'router.routes.0.routes.0.matchers.0',
      line: 6,
      message: 'invalid matcher "severity==critical": the value "=critical" starts with =, a likely typo; write one operator (=, !=, =~ or !~) before the value, or quote the value to match it as written',
    },
  ]);
});

t.test('startup check unknown channel type', async (t) => {
  const issues = issuesOf(
    t,
    `notifier:
  receivers:
    - { name: console, type: console }
    - { name: pager, type: pagerduty }
    - { name: nothing }
`,
  );
  t.same(issues, [
    {
      key: 'notifier.receivers.1.type',
      line: 4,
      message: 'unknown channel type "pagerduty"; expected one of console, webhook, slack, email, telegram or module (type: module loads a channel from an ES module you provide)',
    },
    {
      key: 'notifier.receivers.2.type',
      line: 5,
      message: 'missing channel type; expected one of console, webhook, slack, email, telegram or module (type: module loads a channel from an ES module you provide)',
    },
  ]);
});

t.test('startup check route without receivers', async (t) => {
  const noDefault = issuesOf(t, `router:\n  default_receivers: []\n  routes:\n    - { matchers: [env=prod] }\n${RECEIVERS}`);
  t.same(noDefault, [
    {
      key: 'router.default_receivers',
      line: 2,
      message:
        'must name at least one receiver, found []; the root route sends here the alerts whose rule names no receivers and that no route with receivers takes; name one, such as [console]',
    },
  ]);

  const emptyRoute = issuesOf(t, `router:\n  routes:\n    - { matchers: [env=prod], receivers: [] }\n${RECEIVERS}`);
  t.same(emptyRoute, [
    {
      key: 'router.routes.0.receivers',
      line: 3,
      message: "must name at least one receiver, found []; remove the key to use the parent route's receivers, or name receivers defined under notifier.receivers",
    },
  ]);
});

t.test('startup check blackout time zone', async (t) => {
  const issues = issuesOf(
    t,
    `router:
  default_receivers: [console]
  blackout_windows:
    - name: nights
      time_zone: Europe/Berln
      weekly: [{ start: "22:00", end: "06:00" }]
${RECEIVERS}`,
  );
  t.same(issues, [{ key: 'router.blackout_windows.0.time_zone', line: 5, message: 'unknown time zone "Europe/Berln"; expected an IANA name such as Europe/Berlin or UTC' }]);
});

t.test('startup check blackout weekly schedule', async (t) => {
  const issues = issuesOf(
    t,
    `router:
  default_receivers: [console]
  blackouts: [weekend]
  blackout_windows:
    - name: weekend
      time_zone: America/New_York
      weekly:
        - { days: [sat, funday], start: "25:00", end: "2pm" }
        - { days: [sun], start: "09:00", end: "09:00" }
    - name: empty
${RECEIVERS}`,
  );
  t.same(issues, [
    { key: 'router.blackout_windows.0.weekly.0.days.1', line: 8, message: 'unknown day "funday"; use mon, tue, wed, thu, fri, sat or sun (or the full name), or leave days out for every day' },
    { key: 'router.blackout_windows.0.weekly.0.start', line: 8, message: 'invalid start "25:00"; write a time of day HH:MM from 00:00 to 23:59, such as "22:00"' },
    {
      key: 'router.blackout_windows.0.weekly.0.end',
      line: 8,
      message: 'invalid end "2pm"; write a time of day HH:MM from 00:00 to 24:00, such as "06:00" (24:00 is midnight at the end of the day)',
    },
    { key: 'router.blackout_windows.0.weekly.1.end', line: 9, message: 'end equals start (09:00); for a whole day use start 00:00 and end 24:00' },
    {
      key: 'router.blackout_windows.1',
      line: 10,
      message: 'blackout window "empty" has no range; add one under weekly (such as { days: [sat, sun], start: "00:00", end: "24:00" }) or once',
    },
  ]);
});

t.test('startup check unknown blackout window', async (t) => {
  const issues = issuesOf(
    t,
    `router:
  blackouts: [weekend]
  routes:
    - { matchers: [env=prod], receivers: [pager], blackouts: [nights] }
  blackout_windows:
    - { name: weekend, weekly: [{ days: [sat, sun], start: "00:00", end: "24:00" }] }
${RECEIVERS}`,
  );
  t.same(issues, [{ key: 'router.routes.0.blackouts.0', line: 4, message: 'unknown blackout window "nights"; expected one of weekend' }]);
});

t.test('startup check inhibit rule matchers', async (t) => {
  const issues = issuesOf(
    t,
    `router:
  inhibit_rules:
    - source_matchers: ['severity=~"crit(ical"']
      target_matchers: []
      equal: [agent, a-b]
${RECEIVERS}`,
  );
  t.same(issues, [
    {
      key: 'router.inhibit_rules.0.source_matchers.0',
      line: 3,
      message:
        'invalid regular expression "crit(ical" in a matcher: Invalid regular expression: /^(?:crit(ical)$/u: Unterminated group; write a JavaScript regular expression (matched against the whole value), or use = to match the text exactly',
    },
    { key: 'router.inhibit_rules.0.target_matchers', line: 4, message: 'must have at least one matcher, found []: an empty list would match every alert; add one such as severity=warning' },
    { key: 'router.inhibit_rules.0.equal.1', line: 5, message: 'invalid label name "a-b"; use letters, digits and "_", not starting with a digit' },
  ]);
});

t.test('startup check stops fleetpulse run', async (t) => {
  const directory = temporaryDirectory(t, 'fleetpulse-config-');
  const file = join(directory, 'fleetpulse.yml');
  writeFileSync(file, `data_dir: ${directory}\nrouter:\n  routes:\n    - { matchers: [env=prod], receivers: [oncall] }\n${RECEIVERS}`);

  const main = new URL('./main.ts', import.meta.url).pathname;
  const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', main, 'run', '--config', file]).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
  t.not(result.code, 0, 'exits with an error');
  t.match(result.stderr, `router.routes.0.receivers.0: unknown receiver "oncall"; define it under notifier.receivers or name one of console, pager`);
});
