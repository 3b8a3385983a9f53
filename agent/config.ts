import { hostname } from 'node:os';
import { z } from 'zod';
import { duration, logLevel } from '../pipeline/config/fields.js';
import { LABEL_NAME } from '../pipeline/messages/metric-batch.js';

// Limits the gateway applies to every batch (pipeline/messages/metric-batch.ts);
// checking them here turns a batch the gateway would reject into a startup error.
const MAX_AGENT_ID_LENGTH = 256;
const MAX_TAGS = 64;
const MAX_TAG_VALUE_LENGTH = 1_024;
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** A probe target: `host:port`, with an IPv6 address in brackets (`[::1]:443`). */
const PROBE_TARGET = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/;

/** A parsed probe target; `target` is the text as configured, used as the metric label. */
export interface ProbeTarget {
  target: string;
  host: string;
  port: number;
}

/** Parses `host:port` or `[ipv6]:port`; returns undefined when the text is not a valid target. */
export function parseProbeTarget(target: string): ProbeTarget | undefined {
  const match = PROBE_TARGET.exec(target);
  if (!match) return undefined;

  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { target, host: match[1] ?? match[2]!, port };
}

const tagsSchema = z.record(z.string(), z.string().max(MAX_TAG_VALUE_LENGTH)).superRefine((tags, context) => {
  const keys = Object.keys(tags);
  if (keys.length > MAX_TAGS) {
    context.addIssue({ code: 'custom', message: `must have at most ${MAX_TAGS} tags, found ${keys.length}` });
  }
  for (const key of keys) {
    if (!LABEL_NAME.test(key)) {
      context.addIssue({
        code: 'custom',
        path: [key],
        message: `invalid tag name ${JSON.stringify(key)}; expected letters, digits and underscores, not starting with a digit`,
      });
    }
  }
});

const isHttpUrl = (text: string): boolean => {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
};

/**
 * Keys of the agent's configuration without the checks across keys, so the
 * CLI can extend them for `fleetpulse run`'s `local_agent` section.
 * Durations are text (`10s`, `500ms`) parsed to milliseconds.
 */
export const agentConfigFields = z.strictObject({
  /** Identifies this host to the gateway; the bus partitions by it. */
  agent_id: z
    .string()
    .min(1)
    .max(MAX_AGENT_ID_LENGTH)
    .refine((id) => !CONTROL_CHARACTER.test(id), 'must not contain control characters')
    .default(() => hostname()),
  /** Base URL of the ingest gateway; batches go to `${gateway_url}/v1/metrics`. */
  gateway_url: z.string().refine(isHttpUrl, 'expected an http:// or https:// URL').default('https://127.0.0.1:8443'),
  /** Time between two collections. */
  interval: duration({ min: 100 }).prefault('10s'),
  /** Tags sent with every batch (env, region, role or any other name). The gateway's tagging rules and the credentials' tags override them (docs/tagging.md). */
  tags: tagsSchema.default({}),
  /** `host:port` endpoints whose TCP connect time is measured each interval. */
  probe_targets: z
    .array(z.string().refine((target) => parseProbeTarget(target) !== undefined, 'expected host:port or [ipv6]:port with a port from 1 to 65535'))
    .default([]),
  /** A probe that has not connected within this time counts as failed. */
  probe_timeout: duration({ min: 1 }).prefault('2s'),
  /**
   * Samples held while the gateway is unreachable, besides the batch in
   * flight; when full, the oldest are dropped.
   */
  buffer_max_samples: z.number().int().min(1).default(100_000),
  /** Samples in one request at most. */
  batch_max_samples: z.number().int().min(1).default(1_000),
  /** One request that has not completed within this time is abandoned and retried. */
  request_timeout: duration({ min: 1 }).prefault('10s'),
  /** Ceiling of the first retry delay; it doubles after each failed attempt. */
  retry_initial: duration({ min: 1 }).prefault('1s'),
  /** Maximum retry delay, also the maximum wait a Retry-After header can impose. */
  retry_max: duration({ min: 1 }).prefault('60s'),
  log_level: logLevel().default('info'),
  /** TLS settings of the connections to an https:// gateway_url. */
  tls: z
    .strictObject({
      /** PEM CA certificate(s) that the gateway's certificate must chain to, such as <data_dir>/tls/ca.crt of the gateway. The system's CAs are used when absent. */
      ca_file: z.string().min(1).optional(),
      /** PEM client certificate for mutual TLS, whose subject CN must be agent_id. */
      cert_file: z.string().min(1).optional(),
      /** PEM private key of cert_file. */
      key_file: z.string().min(1).optional(),
    })
    .refine((tls) => (tls.cert_file === undefined) === (tls.key_file === undefined), { message: 'cert_file and key_file must be set together', path: ['cert_file'] })
    .prefault({}),
  /** OAuth2 client id from `fleetpulse credentials create`. Without it, batches go without an access token. */
  client_id: z.string().min(1).optional(),
  /** Client secret. Prefer FLEETPULSE_AGENT_CLIENT_SECRET or client_secret_file to keeping it in the file. */
  client_secret: z.string().min(1).optional(),
  /** File whose content (surrounding whitespace removed) is the client secret. */
  client_secret_file: z.string().min(1).optional(),
  /** Token endpoint URL, `${gateway_url}/oauth/token` when absent. */
  token_url: z.string().refine(isHttpUrl, 'expected an http:// or https:// URL').optional(),
});

/** Checks that retry_max is not below retry_initial. */
export function checkRetryBounds(config: { retry_initial: number; retry_max: number }, context: z.RefinementCtx): void {
  if (config.retry_max < config.retry_initial) {
    context.addIssue({
      code: 'custom',
      path: ['retry_max'],
      message: `must be at least retry_initial (${config.retry_initial} ms), found ${config.retry_max} ms`,
    });
  }
}

/** Checks that client credentials come with exactly one source of the secret. */
export function checkClientCredentials(
  config: { client_id?: string; client_secret?: string; client_secret_file?: string },
  context: z.RefinementCtx,
): void {
  const sources = [config.client_secret, config.client_secret_file].filter((source) => source !== undefined).length;
  if (config.client_id !== undefined && sources === 0) {
    context.addIssue({ code: 'custom', path: ['client_secret'], message: 'client_id needs a secret: set client_secret_file, or FLEETPULSE_AGENT_CLIENT_SECRET' });
  }
  if (sources > 1) context.addIssue({ code: 'custom', path: ['client_secret'], message: 'set client_secret or client_secret_file, not both' });
  if (config.client_id === undefined && sources > 0) context.addIssue({ code: 'custom', path: ['client_id'], message: 'a client secret is set but client_id is missing' });
}

/**
 * Configuration of the agent, read by the CLI with
 * `loadConfig({ schema: agentConfigSchema, file, envPrefix: 'FLEETPULSE_AGENT_' })`.
 */
export const agentConfigSchema = agentConfigFields.superRefine((config, context) => {
  checkRetryBounds(config, context);
  checkClientCredentials(config, context);
});

export type AgentConfig = z.output<typeof agentConfigSchema>;
