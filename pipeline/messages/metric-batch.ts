import { describeValue, isPlainObject, type FieldIssue, ValidationError } from './validation.js';

/** One measurement: a metric's value at a time, with its labels. */
export interface Sample {
  metric: string;
  value: number;
  /** Event time, milliseconds since the Unix epoch. */
  ts: number;
  labels: Record<string, string>;
}

/** What an agent posts to POST /v1/metrics. */
export interface MetricBatch {
  version: 1;
  agentId: string;
  tags: Record<string, string>;
  samples: Sample[];
}

/** A batch as the gateway puts it on the metrics topic (key: agent id). */
export interface IngestedBatch extends MetricBatch {
  /** Gateway time at which the batch was accepted, milliseconds since the Unix epoch. */
  receivedAt: number;
}

export interface MetricBatchLimits {
  maxSamples: number;
  /** How far a sample's ts may lie ahead of the gateway's clock, in milliseconds. */
  maxFutureSkewMs: number;
}

/** 2000-01-01T00:00:00Z: no sample of a running fleet is older. */
export const MIN_SAMPLE_TS = 946_684_800_000;

export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_NAME_LENGTH = 128;
const MAX_AGENT_ID_LENGTH = 256;
const MAX_LABEL_VALUE_LENGTH = 1_024;
const MAX_LABELS = 64;
// Control characters break log lines and terminal output.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Stops collecting after this many issues, so a huge bad batch costs little to reject. */
const MAX_ISSUES = 20;

/**
 * Checks a parsed JSON body against the v1 batch format and returns it typed,
 * or throws ValidationError naming each failing field path.
 *
 * Hand-written rather than schema-driven because it runs on every request
 * and its messages name the exact sample that failed.
 */
export function parseMetricBatch(input: unknown, nowMs: number, limits: MetricBatchLimits): MetricBatch {
  const issues: FieldIssue[] = [];
  const fail = (path: string, message: string): void => {
    if (issues.length < MAX_ISSUES) issues.push({ path, message });
  };

  if (!isPlainObject(input)) {
    throw new ValidationError('metric batch', [{ path: '(body)', message: `expected a JSON object, found ${describeValue(input)}` }]);
  }

  if (input.version !== 1) {
    fail('version', `expected 1, found ${describeValue(input.version)}`);
  }

  const agentId = input.agentId;
  if (typeof agentId !== 'string' || agentId.length === 0) {
    fail('agentId', `expected a non-empty string, found ${describeValue(agentId)}`);
  } else if (agentId.length > MAX_AGENT_ID_LENGTH) {
    fail('agentId', `must be at most ${MAX_AGENT_ID_LENGTH} characters, found ${agentId.length}`);
  } else if (CONTROL_CHARACTER.test(agentId)) {
    fail('agentId', 'must not contain control characters');
  }

  const tags = input.tags === undefined ? {} : checkStringMap(input.tags, 'tags', fail);

  const samples = input.samples;
  if (!Array.isArray(samples)) {
    fail('samples', `expected an array, found ${describeValue(samples)}`);
  } else if (samples.length === 0) {
    fail('samples', 'must contain at least one sample');
  } else if (samples.length > limits.maxSamples) {
    fail('samples', `must contain at most ${limits.maxSamples} samples, found ${samples.length}; split the batch`);
  } else {
    for (let i = 0; i < samples.length && issues.length < MAX_ISSUES; i++) {
      checkSample(samples[i], `samples[${i}]`, nowMs, limits.maxFutureSkewMs, fail);
    }
  }

  if (issues.length > 0) throw new ValidationError('metric batch', issues);

  const batch = input as unknown as MetricBatch;
  batch.tags = tags;
  for (const sample of batch.samples) sample.labels ??= {};
  return batch;
}

function checkSample(
  sample: unknown,
  path: string,
  nowMs: number,
  maxFutureSkewMs: number,
  fail: (path: string, message: string) => void,
): void {
  if (!isPlainObject(sample)) {
    fail(path, `expected an object, found ${describeValue(sample)}`);
    return;
  }

  const { metric, value, ts } = sample;
  if (typeof metric !== 'string' || !METRIC_NAME.test(metric) || metric.length > MAX_NAME_LENGTH) {
    fail(`${path}.metric`, `expected a metric name matching ${METRIC_NAME.source} (at most ${MAX_NAME_LENGTH} characters), found ${describeValue(metric)}`);
  }

  if (typeof value !== 'number') {
    fail(`${path}.value`, `expected a number, found ${describeValue(value)}`);
  } else if (!Number.isFinite(value)) {
    fail(`${path}.value`, `must be a finite number, found ${value}`);
  }

  if (typeof ts !== 'number' || !Number.isInteger(ts)) {
    fail(`${path}.ts`, `expected an integer of milliseconds since the Unix epoch, found ${describeValue(ts)}`);
  } else if (ts < MIN_SAMPLE_TS) {
    fail(`${path}.ts`, `must not be before 2000-01-01T00:00:00Z, found ${ts}; send milliseconds, not seconds`);
  } else if (ts > nowMs + maxFutureSkewMs) {
    fail(`${path}.ts`, `must not be more than ${maxFutureSkewMs} ms ahead of the gateway's clock, found ${new Date(ts).toISOString()}; check the agent's clock`);
  }

  if (sample.labels !== undefined) checkStringMap(sample.labels, `${path}.labels`, fail);
}

function checkStringMap(
  value: unknown,
  path: string,
  fail: (path: string, message: string) => void,
): Record<string, string> {
  if (!isPlainObject(value)) {
    fail(path, `expected an object of string values, found ${describeValue(value)}`);
    return {};
  }

  const keys = Object.keys(value);
  if (keys.length > MAX_LABELS) fail(path, `must have at most ${MAX_LABELS} keys, found ${keys.length}`);

  for (const key of keys) {
    if (!LABEL_NAME.test(key) || key.length > MAX_NAME_LENGTH) {
      fail(`${path}.${key}`, `invalid name; expected letters, digits and underscores, not starting with a digit`);
      continue;
    }
    const entry = value[key];
    if (typeof entry !== 'string') {
      fail(`${path}.${key}`, `expected a string, found ${describeValue(entry)}`);
    } else if (entry.length > MAX_LABEL_VALUE_LENGTH) {
      fail(`${path}.${key}`, `must be at most ${MAX_LABEL_VALUE_LENGTH} characters, found ${entry.length}`);
    }
  }
  return value as Record<string, string>;
}
