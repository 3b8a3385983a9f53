import { z } from 'zod';
import { duration } from '../../pipeline/config/fields.js';
import { valueHints } from '../../pipeline/config/value-hints.js';
import { type Matcher, MatcherError, parseMatcher } from '../../pipeline/messages/matcher.js';
import { describeValue } from '../../pipeline/messages/validation.js';
import { isValidTimeZone, parseBoundary, parseTimeOfDay, WEEKDAYS } from './blackout.js';

const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NAME = /^[a-zA-Z0-9._-]{1,64}$/;

/** A route or blackout window name. */
const name = z.string().refine((text) => NAME.test(text), { error: (issue) => `invalid name ${describeValue(issue.input)}; use 1 to 64 letters, digits, ".", "-" and "_"` });

/** A label name, as `group_by` and an inhibit rule's `equal` take. */
const labelName = z.string().refine((text) => LABEL.test(text), { error: (issue) => `invalid label name ${describeValue(issue.input)}; use letters, digits and "_", not starting with a digit` });

/** Receiver names: at least one, because an empty list would leave the route's alerts with nowhere to go. */
const receiverList = (fix: string) =>
  z.array(z.string().min(1)).refine((list) => list.length > 0, { error: `must name at least one receiver, found []; ${fix}` });

/** Matcher written as text, `env="prod"` or `region=~"eu-.*"`, parsed at load so that an invalid regex stops startup. */
const matcherText = z.string().transform((text, context): Matcher => {
  try {
    return parseMatcher(text);
  } catch (error) {
    if (!(error instanceof MatcherError)) throw error;
    context.addIssue({ code: 'custom', message: error.message });
    return z.NEVER;
  }
});

valueHints.add(matcherText, { expected: `a matcher written as text, such as 'env="prod"' or 'region=~"eu-.*"'` });

/** `group_by` label names. `...` groups by every label, so each alert is its own group. */
const groupBy = z.array(
  z.string().refine((label) => label === '...' || LABEL.test(label), {
    error: (issue) => `invalid label name ${describeValue(issue.input)}; use a label or tag name such as alertname, or "..." to group by every label`,
  }),
);

/** Settings a route inherits from its parent when it does not set them. */
const inheritedShape = {
  /** Receivers of the route's alerts, inherited when absent. */
  receivers: receiverList("remove the key to use the parent route's receivers, or name receivers defined under notifier.receivers").optional(),
  group_by: groupBy.optional(),
  /** How long a new group waits for more alerts before its first notification. */
  group_wait: duration({ min: 0 }).optional(),
  /** How long a group waits after a notification before it notifies changes. */
  group_interval: duration({ min: 10 }).optional(),
  /** How long before a still-firing alert is notified again. */
  repeat_interval: duration({ min: 1_000 }).optional(),
  /** Names of blackout windows during which the route's notifications are held. */
  blackouts: z.array(z.string().min(1)).optional(),
};

export interface RouteConfig {
  name?: string | undefined;
  matchers: Matcher[];
  continue: boolean;
  receivers?: string[] | undefined;
  group_by?: string[] | undefined;
  group_wait?: number | undefined;
  group_interval?: number | undefined;
  repeat_interval?: number | undefined;
  blackouts?: string[] | undefined;
  routes: RouteConfig[];
}

export const routeSchema: z.ZodType<RouteConfig, unknown> = z.lazy(() =>
  z.strictObject({
    /** Route name shown in group keys and decisions. The route's position (`0.1`) is used when absent or taken by an earlier route. */
    name: name.optional(),
    /** Every matcher must match the alert's labels and tags. */
    matchers: z.array(matcherText).default([]),
    /** Also try the following sibling routes after this one matched. */
    continue: z.boolean().default(false),
    ...inheritedShape,
    routes: z.array(routeSchema).default([]),
  }),
);

const weeklyRangeSchema = z.strictObject({
  /** Days the range starts on: mon..sun or monday..sunday. Every day when empty. */
  days: z
    .array(
      z.string().refine((day) => WEEKDAYS[day.toLowerCase()] !== undefined, {
        error: (issue) => `unknown day ${describeValue(issue.input)}; use mon, tue, wed, thu, fri, sat or sun (or the full name), or leave days out for every day`,
      }),
    )
    .default([]),
  /** Wall-clock time `HH:MM` in the window's zone. */
  start: z.string().refine((text) => (parseTimeOfDay(text) ?? 24 * 60) < 24 * 60, {
    error: (issue) => `invalid start ${describeValue(issue.input)}; write a time of day HH:MM from 00:00 to 23:59, such as "22:00"`,
  }),
  /** Wall-clock time `HH:MM`, 24:00 for midnight. A time at or before `start` means the next day. */
  end: z.string().refine((text) => parseTimeOfDay(text) !== undefined, {
    error: (issue) => `invalid end ${describeValue(issue.input)}; write a time of day HH:MM from 00:00 to 24:00, such as "06:00" (24:00 is midnight at the end of the day)`,
  }),
});

const onceRangeSchema = z.strictObject({
  /** `2026-04-01T09:00` in the window's zone, or an instant with Z or an offset. */
  start: z.string(),
  end: z.string(),
});

export const blackoutWindowSchema = z
  .strictObject({
    name,
    /** IANA time zone of the window's times, such as Europe/Berlin. UTC when absent, never the host's zone. */
    time_zone: z.string().default('UTC'),
    weekly: z.array(weeklyRangeSchema).default([]),
    once: z.array(onceRangeSchema).default([]),
  })
  .superRefine((window, context) => {
    if (!isValidTimeZone(window.time_zone)) {
      context.addIssue({ code: 'custom', path: ['time_zone'], message: `unknown time zone ${JSON.stringify(window.time_zone)}; expected an IANA name such as Europe/Berlin or UTC` });
      return;
    }
    if (window.weekly.length === 0 && window.once.length === 0) {
      context.addIssue({ code: 'custom', path: [], message: `blackout window ${JSON.stringify(window.name)} has no range; add one under weekly (such as { days: [sat, sun], start: "00:00", end: "24:00" }) or once` });
    }
    window.weekly.forEach((range, index) => {
      if (range.start === range.end) context.addIssue({ code: 'custom', path: ['weekly', index, 'end'], message: `end equals start (${range.start}); for a whole day use start 00:00 and end 24:00` });
    });
    window.once.forEach((range, index) => {
      const start = parseBoundary(range.start, window.time_zone);
      const end = parseBoundary(range.end, window.time_zone);
      const expected = 'expected a local time such as 2026-04-01T09:00 or an instant such as 2026-04-01T07:00:00Z';
      if (start === undefined) context.addIssue({ code: 'custom', path: ['once', index, 'start'], message: `${expected}, found ${JSON.stringify(range.start)}` });
      if (end === undefined) context.addIssue({ code: 'custom', path: ['once', index, 'end'], message: `${expected}, found ${JSON.stringify(range.end)}` });
      if (start !== undefined && end !== undefined && end <= start) {
        context.addIssue({ code: 'custom', path: ['once', index, 'end'], message: `end ${range.end} is not after start ${range.start}` });
      }
    });
  });

export type BlackoutWindowConfig = z.output<typeof blackoutWindowSchema>;

/** Matchers of one side of an inhibit rule: at least one, because an empty list matches every alert. */
const inhibitMatchers = (side: 'source' | 'target') =>
  z.array(matcherText).refine((list) => list.length > 0, {
    error: `must have at least one matcher, found []: an empty list would match every alert; add one such as ${side === 'source' ? 'severity=critical' : 'severity=warning'}`,
  });

export const inhibitRuleSchema = z
  .strictObject({
    /** Matchers of the firing alert that inhibits. */
    source_matchers: inhibitMatchers('source'),
    /** Matchers of the alerts it inhibits. */
    target_matchers: inhibitMatchers('target'),
    /** Labels whose values must be equal in source and target, such as [agent]. */
    equal: z.array(labelName).default([]),
  })
  .transform((rule) => ({ sourceMatchers: rule.source_matchers, targetMatchers: rule.target_matchers, equal: rule.equal }));

export type InhibitRule = z.output<typeof inhibitRuleSchema>;

export const flappingSchema = z
  .strictObject({
    /** Max state changes within `window` before an alert is flapping. 0 turns detection off. */
    max_changes: z.number().int().min(0).default(4),
    window: duration({ min: 1_000 }).prefault('10m'),
    /** Time without a state change after which a flapping alert has settled. */
    settle_after: duration({ min: 1_000 }).prefault('10m'),
  })
  .prefault({});

export type FlappingConfig = z.output<typeof flappingSchema>;

/**
 * Router configuration: the routing tree, blackout windows, inhibit rules,
 * flapping detection, silences and the flush interval.
 *
 * ```yaml
 * router:
 *   default_receivers: [console]
 *   group_by: [alertname]
 *   group_wait: 30s
 *   group_interval: 5m
 *   repeat_interval: 4h
 *   routes:
 *     - { matchers: ['env="prod"', 'role=~"db|cache"'], receivers: [oncall], group_by: [alertname, region] }
 *   blackout_windows:
 *     - { name: weekend, time_zone: Europe/Berlin, weekly: [{ days: [sat, sun], start: "00:00", end: "24:00" }] }
 *   inhibit_rules:
 *     - { source_matchers: [severity=critical], target_matchers: [severity=warning], equal: [agent] }
 * ```
 */
export const routerConfigSchema = z
  .strictObject({
    /** Receivers of the root route, for alerts whose rule names none and that no route with receivers takes. */
    default_receivers: receiverList('the root route sends here the alerts whose rule names no receivers and that no route with receivers takes; name one, such as [console]').default(['console']),
    group_by: groupBy.default(['alertname']),
    group_wait: duration({ min: 0 }).prefault('30s'),
    group_interval: duration({ min: 10 }).prefault('5m'),
    repeat_interval: duration({ min: 1_000 }).prefault('4h'),
    /** Blackout windows of the root route, inherited by routes that do not set their own. */
    blackouts: z.array(z.string().min(1)).default([]),
    /** Child routes of the root route, tried in order. */
    routes: z.array(routeSchema).default([]),
    blackout_windows: z.array(blackoutWindowSchema).default([]),
    inhibit_rules: z.array(inhibitRuleSchema).default([]),
    flapping: flappingSchema,
    silences: z
      .strictObject({
        /** Interval at which the router rereads silences. */
        refresh: duration({ min: 10 }).prefault('1s'),
        /** File under data_dir that keeps silences across restarts in the embedded deployment. */
        file: z.string().min(1).default('silences.json'),
      })
      .prefault({}),
    /** Interval at which the router looks for groups that are due. */
    tick_interval: duration({ min: 10 }).prefault('1s'),
  })
  .superRefine((config, context) => {
    const names = new Set<string>();
    config.blackout_windows.forEach((window, index) => {
      if (names.has(window.name)) context.addIssue({ code: 'custom', path: ['blackout_windows', index, 'name'], message: `duplicate blackout window name ${JSON.stringify(window.name)}` });
      names.add(window.name);
    });
    const checkBlackouts = (list: readonly string[] | undefined, path: Array<string | number>): void => {
      list?.forEach((name, index) => {
        if (!names.has(name)) {
          const known = names.size > 0 ? `one of ${[...names].join(', ')}` : 'a window defined under router.blackout_windows (none is)';
          context.addIssue({ code: 'custom', path: [...path, index], message: `unknown blackout window ${JSON.stringify(name)}; expected ${known}` });
        }
      });
    };
    checkBlackouts(config.blackouts, ['blackouts']);
    walkRoutes(config.routes, ['routes'], (route, path) => checkBlackouts(route.blackouts, [...path, 'blackouts']));
  })
  .prefault({});

export type RouterConfig = z.output<typeof routerConfigSchema>;

/** Calls `visit` on every route of the tree with its key path, such as ['routes', 0, 'routes', 1]. */
export function walkRoutes(routes: readonly RouteConfig[], path: Array<string | number>, visit: (route: RouteConfig, path: Array<string | number>) => void): void {
  routes.forEach((route, index) => {
    const routePath = [...path, index];
    visit(route, routePath);
    walkRoutes(route.routes, [...routePath, 'routes'], visit);
  });
}

/** Lists every receiver name in the router configuration with its key, for the check against notifier.receivers. */
export function receiverReferences(config: RouterConfig): Array<{ key: string; name: string }> {
  const references = config.default_receivers.map((name, index) => ({ key: `router.default_receivers.${index}`, name }));
  walkRoutes(config.routes, ['router', 'routes'], (route, path) => {
    route.receivers?.forEach((name, index) => references.push({ key: [...path, 'receivers', index].join('.'), name }));
  });
  return references;
}
