import { z } from 'zod';
import { parseDuration } from '../pipeline/config/duration.js';
import { byteSize, duration } from '../pipeline/config/fields.js';
import { taggingConfigSchema } from './tagging/config.js';

/** A request rate: at most `limit` requests per `periodMs`. */
export interface Rate {
  limit: number;
  periodMs: number;
}

/** A rate written as `COUNT/DURATION`, such as `60/1m` or `10/1s`, or `off`. */
const rate = () =>
  z.string().transform((text, context): Rate | null => {
    if (text.trim() === 'off') return null;
    const match = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
    const periodMs = match ? parseDuration(match[2]!) : undefined;
    if (!match || periodMs === undefined || periodMs < 1 || Number(match[1]) < 1) {
      context.addIssue({ code: 'custom', message: `expected a rate such as 60/1m or 10/1s (requests per duration), or off, found ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return { limit: Number(match[1]), periodMs };
  });

/** Values of `gateway.auth.operator_access`. */
export const OPERATOR_ACCESS_MODES = ['token', 'open'] as const;
export type OperatorAccess = (typeof OPERATOR_ACCESS_MODES)[number];

/** The routes that rate limits name. */
export const RATE_LIMITED_ROUTES = ['ingest', 'token', 'read'] as const;
export type RateLimitedRoute = (typeof RATE_LIMITED_ROUTES)[number];

const routeLimits = (defaults: { per_agent?: string; per_ip: string }) =>
  z
    .strictObject({
      /** Requests of one agent (the token's subject), counted across every gateway replica. */
      per_agent: rate().nullable().prefault(defaults.per_agent ?? 'off'),
      /** Requests from one source IP address, before authentication. */
      per_ip: rate().nullable().prefault(defaults.per_ip),
    })
    .prefault({});

export const gatewayConfigSchema = z
  .strictObject({
    /** Address to listen on. Set 0.0.0.0 (or ::) to accept agents from other hosts. */
    host: z.string().min(1).default('127.0.0.1'),
    /** HTTPS port. 0 picks a free one, which the startup log shows. */
    port: z.number().int().min(0).max(65_535).default(8443),
    /** Largest request body accepted; larger ones get 413. */
    max_body_size: byteSize().prefault('1MiB'),
    max_samples_per_batch: z.number().int().min(1).max(1_000_000).default(10_000),
    /** How far a sample's timestamp may lie ahead of the gateway's clock. */
    max_clock_skew: duration({ min: 0 }).prefault('10m'),

    tls: z
      .strictObject({
        /** PEM server certificate (chain), set together with key_file. Without both, a local CA under <data_dir>/tls issues one. */
        cert_file: z.string().min(1).optional(),
        key_file: z.string().min(1).optional(),
        /** Extra DNS names and IP addresses for the generated server certificate. */
        names: z.array(z.string().min(1)).default([]),
        /** Client certificates: none, optional (verified when sent) or required (mutual TLS). */
        client_auth: z.enum(['none', 'optional', 'required']).default('none'),
        /** PEM CA that client certificates must chain to. Without it, the local CA is used. */
        client_ca_file: z.string().min(1).optional(),
      })
      .refine((tls) => (tls.cert_file === undefined) === (tls.key_file === undefined), {
        message: 'cert_file and key_file must be set together',
        path: ['cert_file'],
      })
      .prefault({}),

    auth: z
      .strictObject({
        /** `iss` of every access token. */
        issuer: z.string().min(1).default('fleetpulse'),
        /** `aud` of every access token. Tokens for another audience get 401. */
        audience: z.string().min(1).default('fleetpulse-gateway'),
        /** Lifetime of an access token. */
        token_ttl: duration({ min: 10_000, max: 86_400_000 }).prefault('15m'),
        /** JWS algorithm of new signing keys. */
        algorithm: z.enum(['EdDSA', 'ES256']).default('EdDSA'),
        /** Age at which the signing key is replaced. The old public key stays published until its tokens expire. */
        key_rotation: duration({ min: 60_000 }).prefault('24h'),
        /** How often a gateway rereads the signing keys that another replica may have rotated. */
        key_refresh: duration({ min: 100 }).prefault('30s'),
        /** How often a gateway rereads the revoked credentials, which is the max delay before a revocation applies. */
        revocation_refresh: duration({ min: 100 }).prefault('2s'),
        /** Allowed clock difference when checking exp and nbf. */
        clock_tolerance: duration({ min: 0, max: 300_000 }).prefault('5s'),
        /**
         * Access mode of the read and operator routes (agents, silences, decisions, /metrics,
         * the dashboard) for people and tools. `token` requires a Bearer token with the route's scope (read or
         * silences:write). `open` applies only the per-IP rate limit and logs a warning at startup.
         */
        operator_access: z.enum(OPERATOR_ACCESS_MODES).default('token'),
      })
      .prefault({}),

    rate_limits: z
      .strictObject({
        enabled: z.boolean().default(true),
        routes: z
          .strictObject({
            /** POST /v1/metrics. */
            ingest: routeLimits({ per_agent: '60/1m', per_ip: '6000/1m' }),
            /** POST /oauth/token. Each request costs a scrypt hash, so the per-IP default is low. */
            token: routeLimits({ per_ip: '60/1m' }),
            /** The operator routes (agents, silences, decisions, /metrics, the dashboard's WebSocket) and /.well-known/jwks.json. */
            read: routeLimits({ per_ip: '600/1m' }),
          })
          .prefault({}),
        /** Per-agent rates by agent group (a credential's group), which replace the route's `per_agent` rates. */
        groups: z.record(z.string().min(1), z.partialRecord(z.enum(RATE_LIMITED_ROUTES), rate().nullable())).default({}),
      })
      .prefault({}),

    /** Server-side tags for the agents that a rule matches; see tagging/config.ts and docs/tagging.md. */
    tagging: taggingConfigSchema,
  })
  .prefault({});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
