import { z } from 'zod';
import { byteSize, duration } from '../pipeline/config/fields.js';

export const gatewayConfigSchema = z
  .strictObject({
    /**
     * Address to listen on. Loopback by default because the gateway has no
     * authentication yet; set 0.0.0.0 to accept agents from other hosts.
     */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one, which the startup log shows. */
    port: z.number().int().min(0).max(65_535).default(8080),
    /** Largest request body accepted; larger ones get 413. */
    max_body_size: byteSize().prefault('1MiB'),
    max_samples_per_batch: z.number().int().min(1).max(1_000_000).default(10_000),
    /** How far a sample's timestamp may lie ahead of the gateway's clock. */
    max_clock_skew: duration({ min: 0 }).prefault('10m'),
  })
  .prefault({});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
