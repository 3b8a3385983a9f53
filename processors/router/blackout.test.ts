import t from 'tap';
import { ManualClock } from '../../pipeline/clock/index.js';
import { BlackoutWindow, instantOfLocal, parseBoundary } from './blackout.js';
import { BlackoutStage } from './blackout-stage.js';
import { blackoutWindowSchema } from './config.js';
import { RouteTree } from './routing.js';
import { routerConfig, transition } from './test-support/alerts.js';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const at = (text: string): number => Date.parse(text);

function window(input: Record<string, unknown>): BlackoutWindow {
  return new BlackoutWindow(blackoutWindowSchema.parse({ name: 'w', ...input }));
}

t.test('instantOfLocal maps skipped and repeated times', async (t) => {
  const berlinGap = instantOfLocal({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Berlin');
  t.equal(iso(berlinGap), '2026-03-29T01:00:00.000Z', '02:30 is skipped in Berlin: the gap ends at 03:00 CEST');
  const newYorkRepeat = instantOfLocal({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/New_York');
  t.equal(iso(newYorkRepeat), '2026-11-01T05:30:00.000Z', '01:30 occurs twice in New York: the first, EDT');
  const plain = instantOfLocal({ year: 2026, month: 7, day: 1, hour: 9, minute: 0 }, 'America/New_York');
  t.equal(iso(plain), '2026-07-01T13:00:00.000Z');
  t.equal(iso(instantOfLocal({ year: 2026, month: 7, day: 1, hour: 9, minute: 0 }, 'UTC')), '2026-07-01T09:00:00.000Z');
});

t.test('blackout without zone uses UTC', async (t) => {
  const daily = window({ weekly: [{ start: '09:00', end: '10:00' }] });
  t.equal(daily.timeZone, 'UTC');
  t.equal(iso(daily.activeUntil(at('2026-07-01T09:30:00Z'))), '2026-07-01T10:00:00.000Z');
  t.equal(daily.activeUntil(at('2026-07-01T10:00:00Z')), undefined, 'end is exclusive');
  t.equal(daily.activeUntil(at('2026-07-01T08:59:59Z')), undefined);
});

for (const [zone, springForward, fallBack, offsets] of [
  ['Europe/Berlin', '2026-03-29', '2026-10-25', { winter: 1, summer: 2 }],
  ['America/New_York', '2026-03-08', '2026-11-01', { winter: -5, summer: -4 }],
] as const) {
  const utc = (day: string, hour: number, offset: number): number => at(`${day}T00:00:00Z`) + (hour - offset) * 3_600_000;

  t.test(`blackout nightly window in ${zone} spring-forward week`, async (t) => {
    // 22:00 to 06:00 every night. Clocks skip an hour in the night after the Saturday.
    const nightly = window({ time_zone: zone, weekly: [{ start: '22:00', end: '06:00' }] });
    const saturday = at(`${springForward}T00:00:00Z`) - 86_400_000;
    const saturdayDay = new Date(saturday).toISOString().slice(0, 10);
    const start = utc(saturdayDay, 22, offsets.winter);
    const end = utc(springForward, 6, offsets.summer);
    t.equal(nightly.activeUntil(start - 1), undefined, 'not before 22:00 local');
    t.equal(nightly.activeUntil(start), end, 'from 22:00 local');
    t.equal(end - start, 7 * 3_600_000, 'the night is 7 hours long');
    t.equal(nightly.activeUntil(end - 1), end);
    t.equal(nightly.activeUntil(end), undefined, 'over at 06:00 summer time');
    // The week before and after keep 8 hours.
    const weekBefore = start - 7 * 86_400_000;
    t.equal(nightly.activeUntil(weekBefore)! - weekBefore, 8 * 3_600_000);
    const weekAfter = utc(new Date(saturday + 7 * 86_400_000).toISOString().slice(0, 10), 22, offsets.summer);
    t.equal(nightly.activeUntil(weekAfter)! - weekAfter, 8 * 3_600_000);
  });

  t.test(`blackout nightly window in ${zone} fall-back week`, async (t) => {
    const nightly = window({ time_zone: zone, weekly: [{ start: '22:00', end: '06:00' }] });
    const saturdayDay = new Date(at(`${fallBack}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const start = utc(saturdayDay, 22, offsets.summer);
    const end = utc(fallBack, 6, offsets.winter);
    t.equal(nightly.activeUntil(start), end);
    t.equal(end - start, 9 * 3_600_000, 'the night is 9 hours long');
    t.equal(nightly.activeUntil(end), undefined);
  });

  t.test(`blackout inside the skipped hour in ${zone}`, async (t) => {
    // The clock never shows 02:15 to 02:45 on the spring-forward day.
    const skipped = window({ time_zone: zone, weekly: [{ days: ['sun'], start: '02:15', end: '02:45' }] });
    const gapEnd = utc(springForward, 3, offsets.summer);
    t.equal(skipped.activeUntil(gapEnd - 60_000), undefined, 'inactive before the change');
    t.equal(skipped.activeUntil(gapEnd), undefined, 'a range wholly in the gap is empty');
    // 01:30 to 02:30 ends at the end of the gap, 03:00 local.
    const acrossGap = window({ time_zone: zone, weekly: [{ days: ['sun'], start: '01:30', end: '02:30' }] });
    const start = utc(springForward, 1.5, offsets.winter);
    t.equal(acrossGap.activeUntil(start), gapEnd, 'ends when the clock jumps past 02:30');
    t.equal(gapEnd - start, 30 * 60_000, 'half an hour long');
  });

  t.test(`blackout inside the repeated hour in ${zone}`, async (t) => {
    // In New York the hour 01:00-02:00 repeats, in Berlin 02:00-03:00.
    const hour = zone === 'Europe/Berlin' ? 2 : 1;
    const text = (minute: number): string => `${String(hour).padStart(2, '0')}:${minute}`;
    const repeated = window({ time_zone: zone, weekly: [{ days: ['sun'], start: text(15), end: text(45) }] });
    const firstStart = utc(fallBack, hour + 0.25, offsets.summer);
    t.equal(repeated.activeUntil(firstStart), firstStart + 30 * 60_000, 'runs in the first occurrence');
    const secondStart = utc(fallBack, hour + 0.25, offsets.winter);
    t.equal(repeated.activeUntil(secondStart), undefined, 'not again when the hour repeats');
  });
}

t.test('blackout once range in local time', async (t) => {
  const maintenance = window({ time_zone: 'America/New_York', once: [{ start: '2026-07-04T09:00', end: '2026-07-04T12:00' }] });
  t.equal(iso(maintenance.activeUntil(at('2026-07-04T13:00:00Z'))), '2026-07-04T16:00:00.000Z');
  t.equal(maintenance.activeUntil(at('2026-07-04T12:59:59Z')), undefined);
  t.equal(parseBoundary('2026-07-04T09:00:00+02:00', 'America/New_York'), at('2026-07-04T07:00:00Z'), 'an explicit offset wins over the zone');
  t.equal(parseBoundary('July 4th', 'UTC'), undefined);
});

t.test('blackout touching ranges count as one', async (t) => {
  const weekend = window({ time_zone: 'Europe/Berlin', weekly: [{ days: ['sat'], start: '00:00', end: '24:00' }, { days: ['sun'], start: '00:00', end: '24:00' }] });
  // Saturday 2026-03-07 10:00 Berlin. The weekend ends Monday 00:00 Berlin, which is 23:00Z Sunday.
  t.equal(iso(weekend.activeUntil(at('2026-03-07T09:00:00Z'))), '2026-03-08T23:00:00.000Z');
});

t.test('blackout stage names the route window', async (t) => {
  const clock = new ManualClock(at('2026-07-01T09:30:00Z'));
  const config = routerConfig({
    blackout_windows: [{ name: 'standup', weekly: [{ start: '09:00', end: '10:00' }] }],
    routes: [{ name: 'quiet', matchers: ['env=prod'], blackouts: ['standup'] }],
  });
  const tree = new RouteTree(config);
  const stage = new BlackoutStage(config.blackout_windows);
  const alert = transition('web-1', 'firing', clock.now());
  const [prodRoute] = tree.match({ env: 'prod' });
  const suppression = stage.check({ event: alert, labels: {} }, prodRoute!, clock.now());
  t.equal(suppression?.reason, 'blackout_window');
  t.equal(suppression?.blackoutWindow, 'standup');
  t.equal(iso(suppression?.until), '2026-07-01T10:00:00.000Z');
  t.equal(stage.check({ event: alert, labels: {} }, tree.root, clock.now()), undefined, 'the root has no blackout');
  await clock.advance(30 * 60_000);
  t.equal(stage.check({ event: alert, labels: {} }, prodRoute!, clock.now()), undefined, 'over at 10:00');
});

t.test('blackout config rejects invalid windows', async (t) => {
  const issues = (input: Record<string, unknown>): string[] => {
    const result = blackoutWindowSchema.safeParse({ name: 'w', ...input });
    return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };
  t.match(issues({ time_zone: 'Europe/Berln', weekly: [{ start: '01:00', end: '02:00' }] }), [/time_zone: unknown time zone "Europe\/Berln"/]);
  t.match(issues({ once: [{ start: '2026-04-01T12:00', end: '2026-04-01T09:00' }] }), [/once.0.end: end 2026-04-01T09:00 is not after start/]);
  t.match(issues({ weekly: [{ start: '25:00', end: '02:00' }] }), [/weekly.0.start: invalid start "25:00"; write a time of day HH:MM/]);
  t.match(issues({ weekly: [{ start: '01:00', end: '01:00' }] }), [/weekly.0.end: end equals start/]);
  t.match(issues({ weekly: [{ days: ['funday'], start: '01:00', end: '02:00' }] }), [/weekly.0.days.0: unknown day "funday"; use mon/]);
  t.match(issues({}), [/blackout window "w" has no range; add one under weekly/]);
});
