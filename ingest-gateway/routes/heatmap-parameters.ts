import { formatDuration, parseDuration } from '../../pipeline/config/duration.js';
import { nearestName } from '../../pipeline/config/nearest-name.js';
import { LABEL_NAME, METRIC_NAME } from '../../pipeline/messages/metric-batch.js';
import {
  DEFAULT_BUCKETS_PER_DECADE,
  DEFAULT_MIN_VALUE,
  type HeatmapFilter,
  MAX_BUCKETS_PER_DECADE,
  MAX_TIME_BUCKETS,
  timeBucketCount,
} from '../../pipeline/store/heatmap.js';

/** An invalid query parameter. The message names the parameter and how to fix it. */
export class ParameterError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
    /** Error code of the response: `invalid_query`, or `too_many_buckets` for a step too small for the range. */
    readonly code: 'invalid_query' | 'too_many_buckets' = 'invalid_query',
  ) {
    super(message);
    this.name = 'ParameterError';
  }
}

/** Query parameters of a request. `get` returns one value, and `all` every occurrence of a repeated parameter. */
export interface QueryParameters {
  get(name: string): string | undefined;
  all(name: string): string[];
}

/** The parameters that /v1/heatmap and /v1/heatmap/cell share. */
export interface HeatmapSelection {
  metric: string;
  step: number;
  bucketsPerDecade: number;
  min: number;
  filter: HeatmapFilter;
}

export const DEFAULT_STEP = '1m';
export const DEFAULT_RANGE_MS = 3_600_000;
export const DEFAULT_CELL_LIMIT = 100;
export const MAX_CELL_LIMIT = 1_000;

/** Steps offered when a step makes too many time buckets, shortest first. */
const ROUND_STEPS = ['1s', '2s', '5s', '10s', '15s', '30s', '1m', '2m', '5m', '10m', '15m', '30m', '1h', '2h', '3h', '6h', '12h', '1d', '2d', '7d'].map(
  (text) => parseDuration(text)!,
);

const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const EPOCH_MS = /^\d{1,15}$/;
const INTEGER = /^-?\d{1,6}$/;
const MAX_FILTER_VALUE_LENGTH = 1_024;

/** Parameters of GET /v1/heatmap. */
export const HEATMAP_PARAMETERS = ['metric', 'from', 'to', 'step', 'filter', 'bucketsPerDecade', 'min'] as const;

/** Parameters of GET /v1/heatmap/cell. It accepts `from` and `to` and ignores them, so a heatmap's query string can be reused. */
export const CELL_PARAMETERS = ['metric', 'from', 'to', 'step', 'filter', 'bucketsPerDecade', 'min', 'time', 'bucket', 'limit'] as const;

/** Raises ParameterError for the first name that `known` does not list, suggesting the nearest known one. */
export function checkParameterNames(names: Iterable<string>, known: readonly string[]): void {
  for (const name of names) {
    if (known.includes(name)) continue;
    const nearest = nearestName(name, known);
    const hint = nearest ? `did you mean ${nearest}?` : `use ${known.join(', ')}`;
    throw new ParameterError(name, `unknown parameter ${JSON.stringify(name.slice(0, 100))}: ${hint}`);
  }
}

/** Parses metric, step, filter, bucketsPerDecade and min. */
export function parseSelection(query: QueryParameters): HeatmapSelection {
  const metric = query.get('metric');
  if (metric === undefined || metric === '') throw new ParameterError('metric', 'metric is missing: name the metric to count, such as metric=latency_ms');
  if (!METRIC_NAME.test(metric) || metric.length > 128) {
    throw new ParameterError('metric', `metric ${quote(metric)} is not a metric name: use letters, digits, _ and :, such as latency_ms`);
  }

  const stepText = query.get('step') ?? DEFAULT_STEP;
  const step = parseDuration(stepText);
  if (step === undefined || step < 1) {
    throw new ParameterError('step', `step ${quote(stepText)} is not a duration: write a number with a unit (ms, s, m, h, d, w), such as step=30s or step=1m`);
  }

  const bucketsPerDecade = parseInteger(query, 'bucketsPerDecade', DEFAULT_BUCKETS_PER_DECADE, 1, MAX_BUCKETS_PER_DECADE);

  const minText = query.get('min');
  const min = minText === undefined ? DEFAULT_MIN_VALUE : Number(minText);
  if (minText !== undefined && (minText.trim() === '' || !Number.isFinite(min) || min <= 0)) {
    throw new ParameterError('min', `min ${quote(minText)} is not a positive number: give the smallest value worth its own bucket, such as min=0.001`);
  }

  return { metric, step, bucketsPerDecade, min, filter: parseFilter(query.all('filter')) };
}

/**
 * Parses `filter` matchers: comma-separated `name=value` pairs, in one
 * parameter or repeated. `agent=ID` selects one agent, `label.NAME=V` a
 * series label, and `NAME=V` or `tag.NAME=V` an agent tag (a tag named
 * `agent` is written `tag.agent=V`). Values cannot contain a comma.
 */
export function parseFilter(texts: readonly string[]): HeatmapFilter {
  const filter: HeatmapFilter = {};
  const example = 'such as filter=env=prod,region=eu-1,agent=web-1,label.target=api';
  for (const text of texts) {
    for (const matcher of text.split(',')) {
      const equals = matcher.indexOf('=');
      if (equals < 1 || equals === matcher.length - 1) {
        throw new ParameterError('filter', `filter matcher ${quote(matcher)} is not name=value: separate matchers with commas, ${example}`);
      }
      const name = matcher.slice(0, equals);
      const value = matcher.slice(equals + 1);
      if (value.length > MAX_FILTER_VALUE_LENGTH) throw new ParameterError('filter', `filter value of ${name} is longer than ${MAX_FILTER_VALUE_LENGTH} characters`);

      if (name === 'agent') {
        if (filter.agentId !== undefined && filter.agentId !== value) throw new ParameterError('filter', 'filter names two agents: give agent= once');
        filter.agentId = value;
        continue;
      }
      const [kind, key] = name.startsWith('label.') ? (['labels', name.slice(6)] as const) : (['tags', name.startsWith('tag.') ? name.slice(4) : name] as const);
      if (!LABEL_NAME.test(key) || key.length > 128) {
        throw new ParameterError('filter', `filter name ${quote(name)} is not a tag or label name: use letters, digits and _, not starting with a digit, ${example}`);
      }
      const matchers = (filter[kind] ??= {});
      if (matchers[key] !== undefined && matchers[key] !== value) {
        throw new ParameterError('filter', `filter gives ${kind === 'tags' ? 'tag' : 'label'} ${key} two values, ${quote(matchers[key])} and ${quote(value)}: give it once`);
      }
      matchers[key] = value;
    }
  }
  return filter;
}

/**
 * Parses from and to and widens them to whole time buckets: from down and
 * to up to multiples of step since the Unix epoch. `to` defaults to now and
 * `from` to an hour before `to`.
 */
export function parseRange(query: QueryParameters, step: number, now: number): { from: number; to: number } {
  const toText = query.get('to');
  const fromText = query.get('from');
  const to = toText === undefined ? now : parseTime('to', toText);
  const from = fromText === undefined ? to - DEFAULT_RANGE_MS : parseTime('from', fromText);
  if (to <= from) throw new ParameterError('to', `to (${new Date(to).toISOString()}) must be later than from (${new Date(from).toISOString()})`);

  const buckets = timeBucketCount(from, to, step);
  if (buckets > MAX_TIME_BUCKETS) {
    const fitting = ROUND_STEPS.find((candidate) => timeBucketCount(from, to, candidate) <= MAX_TIME_BUCKETS);
    const advice = fitting === undefined ? 'a shorter range' : `step=${formatDuration(fitting)} or longer, or a shorter range`;
    throw new ParameterError(
      'step',
      `step=${formatDuration(step)} makes ${buckets} time buckets between from and to, more than the maximum of ${MAX_TIME_BUCKETS}: use ${advice}`,
      'too_many_buckets',
    );
  }
  return { from: Math.floor(from / step) * step, to: Math.ceil(to / step) * step };
}

/** Parses `time`, which must be the start of a time bucket: a multiple of step since the Unix epoch. */
export function parseBucketTime(query: QueryParameters, step: number): number {
  const text = query.get('time');
  if (text === undefined) throw new ParameterError('time', 'time is missing: give the start of the cell\'s time bucket, the `time` of a heatmap cell');
  const time = parseTime('time', text);
  if (time % step !== 0) {
    const start = Math.floor(time / step) * step;
    throw new ParameterError('time', `time ${quote(text)} is not the start of a time bucket of step ${formatDuration(step)}: use the \`time\` of a heatmap cell, such as time=${start}`);
  }
  return time;
}

/** Parses an optional integer parameter within [min, max]. */
export function parseInteger(query: QueryParameters, name: string, fallback: number, min: number, max: number): number {
  const text = query.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!INTEGER.test(text) || value < min || value > max) {
    throw new ParameterError(name, `${name} ${quote(text)} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Parses an RFC 3339 time or milliseconds since the Unix epoch. */
export function parseTime(name: string, text: string): number {
  if (EPOCH_MS.test(text)) return Number(text);

  const match = RFC_3339.exec(text);
  const ms = match ? Date.parse(text) : Number.NaN;
  if (match && Number.isFinite(ms) && isCalendarTime(match)) return ms;

  // An unencoded + in a query string arrives as a space.
  const hint = / \d{2}:\d{2}$/.test(text) ? '; encode the + of a time zone offset as %2B' : '';
  throw new ParameterError(name, `${name} ${quote(text)} is not a time: give RFC 3339, such as ${name}=2026-03-01T12:00:00Z, or milliseconds since the Unix epoch${hint}`);
}

/** Rejects what Date.parse rolls over, such as February 30 or 24:00. */
function isCalendarTime(match: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
