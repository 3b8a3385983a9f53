import { checkMatcher, formatMatcher, type Matcher, MatcherError, matches, parseMatcher } from './matcher.js';
import { describeValue, type FieldIssue, isPlainObject, unknownKeyMessage, ValidationError } from './validation.js';

/**
 * A silence: alerts whose labels match every matcher are not notified
 * between `startsAt` (inclusive) and `endsAt` (exclusive). Expiring a
 * silence moves its `endsAt` to the time of expiry, and it stays listed
 * until the store's retention drops it.
 */
export interface Silence {
  id: string;
  matchers: Matcher[];
  /** ms since epoch. */
  startsAt: number;
  /** ms since epoch. */
  endsAt: number;
  createdBy: string;
  comment: string;
  /** ms since epoch. */
  createdAt: number;
  /** Time of the last change, creation or expiry, ms since epoch. */
  updatedAt: number;
}

/** Fields a client supplies to create a silence. The store adds the id, `createdAt` and `updatedAt`. */
export type SilenceInput = Pick<Silence, 'matchers' | 'startsAt' | 'endsAt' | 'createdBy' | 'comment'>;

export type SilenceStatus = 'pending' | 'active' | 'expired';

export function silenceStatus(silence: Pick<Silence, 'startsAt' | 'endsAt'>, now: number): SilenceStatus {
  if (now >= silence.endsAt) return 'expired';
  return now < silence.startsAt ? 'pending' : 'active';
}

/** Returns whether the silence is active at `now` and every matcher matches `labels`. */
export function silenceMatches(silence: Silence, labels: Readonly<Record<string, string>>, now: number): boolean {
  return silenceStatus(silence, now) === 'active' && silence.matchers.every((matcher) => matches(matcher, labels));
}

/** Converts a silence to the form the HTTP API returns: snake_case keys, ISO 8601 times and matchers as text. */
export function silenceToJson(silence: Silence, now: number): Record<string, unknown> {
  return {
    id: silence.id,
    matchers: silence.matchers.map(formatMatcher),
    starts_at: new Date(silence.startsAt).toISOString(),
    ends_at: new Date(silence.endsAt).toISOString(),
    created_by: silence.createdBy,
    comment: silence.comment,
    status: silenceStatus(silence, now),
    created_at: new Date(silence.createdAt).toISOString(),
    updated_at: new Date(silence.updatedAt).toISOString(),
  };
}

const MAX_MATCHERS = 32;
const MAX_TEXT = 1_024;
const SILENCE_KEYS: ReadonlySet<string> = new Set(['matchers', 'starts_at', 'ends_at', 'created_by', 'comment']);

/**
 * Validates the body of POST /v1/silences:
 * `{ matchers, ends_at, created_by, comment, starts_at? }`. Matchers are
 * text (`agent=web-1`, `region=~"eu-.*"`) or objects `{ name, operator,
 * value }`. Times are ISO 8601 text or ms since epoch, and `starts_at`
 * defaults to `now`. Throws ValidationError with every issue found.
 */
export function parseSilenceInput(body: unknown, now: number): SilenceInput {
  const issues: FieldIssue[] = [];
  if (!isPlainObject(body)) throw new ValidationError('silence', [{ path: '(body)', message: `expected a JSON object, found ${describeValue(body)}` }]);

  for (const key of Object.keys(body)) {
    if (!SILENCE_KEYS.has(key)) issues.push({ path: key, message: unknownKeyMessage(key, SILENCE_KEYS) });
  }

  const matchers: Matcher[] = [];
  if (!Array.isArray(body.matchers) || body.matchers.length === 0) {
    issues.push({ path: 'matchers', message: `expected a non-empty list of matchers such as "agent=web-1", found ${describeValue(body.matchers)}` });
  } else if (body.matchers.length > MAX_MATCHERS) {
    issues.push({ path: 'matchers', message: `at most ${MAX_MATCHERS} matchers, found ${body.matchers.length}` });
  } else {
    body.matchers.forEach((raw, index) => {
      try {
        matchers.push(matcherFrom(raw));
      } catch (error) {
        if (!(error instanceof MatcherError)) throw error;
        issues.push({ path: `matchers[${index}]`, message: error.message });
      }
    });
    if (matchers.length === body.matchers.length && matchers.every((matcher) => matches(matcher, {}))) {
      issues.push({ path: 'matchers', message: 'every matcher matches an alert without labels, so the silence would silence every alert; add a matcher such as agent=web-1' });
    }
  }

  const startsAt = body.starts_at === undefined ? now : parseTime(body.starts_at, 'starts_at', issues);
  const endsAt = parseTime(body.ends_at, 'ends_at', issues);
  if (startsAt !== undefined && endsAt !== undefined) {
    if (endsAt <= startsAt) issues.push({ path: 'ends_at', message: `must be after starts_at (${new Date(startsAt).toISOString()}), found ${new Date(endsAt).toISOString()}` });
    else if (endsAt <= now) issues.push({ path: 'ends_at', message: `must be in the future, found ${new Date(endsAt).toISOString()}` });
  }

  const createdBy = parseText(body.created_by, 'created_by', issues);
  const comment = parseText(body.comment, 'comment', issues);

  if (issues.length > 0) throw new ValidationError('silence', issues);
  return { matchers, startsAt: startsAt!, endsAt: endsAt!, createdBy: createdBy!, comment: comment! };
}

function matcherFrom(raw: unknown): Matcher {
  if (typeof raw === 'string') return parseMatcher(raw);
  if (isPlainObject(raw) && typeof raw.name === 'string' && typeof raw.operator === 'string' && typeof raw.value === 'string') {
    const matcher = { name: raw.name, operator: raw.operator as Matcher['operator'], value: raw.value };
    checkMatcher(matcher);
    return matcher;
  }
  throw new MatcherError(`expected matcher text such as "agent=web-1" or an object { name, operator, value }, found ${describeValue(raw)}`);
}

function parseTime(raw: unknown, path: string, issues: FieldIssue[]): number | undefined {
  const ms = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{4}-\d\d-\d\dT/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isFinite(ms) && Number.isInteger(ms) && ms >= 0) return ms;
  issues.push({ path, message: `expected an ISO 8601 time such as 2026-03-01T12:00:00Z or milliseconds since the epoch, found ${describeValue(raw)}` });
  return undefined;
}

function parseText(raw: unknown, path: string, issues: FieldIssue[]): string | undefined {
  if (typeof raw === 'string' && raw.trim() !== '' && raw.length <= MAX_TEXT) return raw;
  issues.push({ path, message: `expected non-empty text of at most ${MAX_TEXT} characters, found ${describeValue(raw)}` });
  return undefined;
}
