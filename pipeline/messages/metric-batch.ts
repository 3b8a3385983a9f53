import { describeValue, isPlainObject, type FieldIssue, unknownKeyMessage, ValidationError } from './validation.js';

/** One measurement: a metric's value at a time, with its labels. */
export interface Sample {
  metric: string;
  value: number;
  /** Event time, milliseconds since the Unix epoch. */
  ts: number;
  labels: Record<string, string>;
}

/**
 * Facts that an agent reports about its host. Every field is optional, and
 * each becomes a tag at the gateway (see HOST_FACT_TAGS).
 */
export interface HostFacts {
  hostname?: string;
  /** Operating system or distribution name, such as `Ubuntu` or `macOS`. */
  os?: string;
  /** Version of the operating system, such as `24.04`. */
  osRelease?: string;
  /** Kernel version, such as `6.8.0-45-generic`. */
  kernel?: string;
  /** CPU architecture as Node.js names it: `x64`, `arm64`. */
  arch?: string;
  /** Node.js platform name: `linux`, `darwin`, `win32`. */
  platform?: string;
}

/** The tag that each host fact becomes, in the order the tags are added. */
export const HOST_FACT_TAGS: ReadonlyArray<readonly [field: keyof HostFacts, tag: string]> = [
  ['hostname', 'hostname'],
  ['os', 'os'],
  ['osRelease', 'os_release'],
  ['kernel', 'kernel'],
  ['arch', 'arch'],
  ['platform', 'platform'],
];

/** What an agent posts to POST /v1/metrics. */
export interface MetricBatch {
  version: 1;
  agentId: string;
  /** Tags from the agent's configuration. The gateway replaces them with the agent's final tags. */
  tags: Record<string, string>;
  /** Host facts, sent on every batch by current fleetpulse agents once they have read them, and absent from older agents. */
  host?: HostFacts;
  samples: Sample[];
}

/**
 * A batch as the gateway puts it on the metrics topic (key: agent id). Its
 * `tags` are the agent's final tags: the gateway merged the agent's own
 * tags with its host facts, the server's tagging rules and the access
 * token's claims (ingest-gateway/tagging/tagger.ts).
 */
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
/** Maximum length of a metric, label or tag name. */
export const MAX_NAME_LENGTH = 128;
const MAX_AGENT_ID_LENGTH = 256;
/** Maximum length of a label or tag value. */
export const MAX_LABEL_VALUE_LENGTH = 1_024;
/** Maximum number of labels of a sample, and of tags of a batch. */
export const MAX_LABELS = 64;
const MAX_HOST_FACT_LENGTH = 256;
// Control characters break log lines and terminal output.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Stops collecting after this many issues, so a huge bad batch costs little to reject. */
const MAX_ISSUES = 20;

// A misspelt optional key (`tgs`, `lables`) would otherwise drop the tags or labels without a word.
const BATCH_KEYS: ReadonlySet<string> = new Set(['version', 'agentId', 'tags', 'host', 'samples']);
const SAMPLE_KEYS: ReadonlySet<string> = new Set(['metric', 'value', 'ts', 'labels']);

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
  checkKeys(input, BATCH_KEYS, '', fail);

  const agentId = input.agentId;
  if (typeof agentId !== 'string' || agentId.length === 0) {
    fail('agentId', `expected a non-empty string, found ${describeValue(agentId)}`);
  } else if (agentId.length > MAX_AGENT_ID_LENGTH) {
    fail('agentId', `must be at most ${MAX_AGENT_ID_LENGTH} characters, found ${agentId.length}`);
  } else if (CONTROL_CHARACTER.test(agentId)) {
    fail('agentId', 'must not contain control characters');
  }

  const tags = input.tags === undefined ? {} : checkStringMap(input.tags, 'tags', fail);
  const host = input.host === undefined ? undefined : checkHostFacts(input.host, fail);

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
  if (host) batch.host = host;
  for (const sample of batch.samples) sample.labels ??= {};
  return batch;
}

/**
 * Returns why a tag or label key and value are invalid, or undefined when
 * they are valid: the rule that batches, agent configuration and the
 * gateway's tagging rules share.
 */
export function tagIssue(key: string, value: unknown): string | undefined {
  if (!LABEL_NAME.test(key) || key.length > MAX_NAME_LENGTH) {
    return `invalid name; expected letters, digits and underscores, not starting with a digit (at most ${MAX_NAME_LENGTH} characters)`;
  }
  // Prometheus reserves these names too, and the check also keeps `__proto__` out of plain objects.
  if (key.startsWith('__')) return "invalid name; names starting with '__' are reserved";
  if (typeof value !== 'string') return `expected a string, found ${describeValue(value)}`;
  if (value.length > MAX_LABEL_VALUE_LENGTH) return `must be at most ${MAX_LABEL_VALUE_LENGTH} characters, found ${value.length}`;
  return undefined;
}

/**
 * Checks the known host facts and returns a copy without unknown fields, so
 * that a newer agent reporting more facts is still accepted.
 */
function checkHostFacts(value: unknown, fail: (path: string, message: string) => void): HostFacts {
  if (!isPlainObject(value)) {
    fail('host', `expected an object of host facts, found ${describeValue(value)}`);
    return {};
  }

  const facts: HostFacts = {};
  for (const [field] of HOST_FACT_TAGS) {
    const fact = value[field];
    if (fact === undefined) continue;
    const issue = hostFactIssue(fact);
    if (issue === undefined) facts[field] = fact as string;
    else fail(`host.${field}`, issue);
  }
  return facts;
}

/** Returns why a host fact's value is invalid, or undefined when it is valid. */
export function hostFactIssue(fact: unknown): string | undefined {
  if (typeof fact !== 'string' || fact.length === 0) return `expected a non-empty string, found ${describeValue(fact)}; leave out a fact the host does not have`;
  if (fact.length > MAX_HOST_FACT_LENGTH) return `must be at most ${MAX_HOST_FACT_LENGTH} characters, found ${fact.length}`;
  if (CONTROL_CHARACTER.test(fact)) return 'must not contain control characters';
  return undefined;
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

  checkKeys(sample, SAMPLE_KEYS, `${path}.`, fail);
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

function checkKeys(object: Record<string, unknown>, known: ReadonlySet<string>, prefix: string, fail: (path: string, message: string) => void): void {
  for (const key in object) {
    if (!known.has(key)) fail(`${prefix}${key}`, unknownKeyMessage(key, known));
  }
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
    const issue = tagIssue(key, value[key]);
    if (issue !== undefined) fail(`${path}.${key}`, issue);
  }
  return value as Record<string, string>;
}
