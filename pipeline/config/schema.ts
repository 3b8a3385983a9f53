import { z } from 'zod';
import { duration, logLevel } from './fields.js';
import { valueHints } from './value-hints.js';

/** Which adapters back the bus, the store and shared state. */
export const deploymentSchema = z.enum(['embedded', 'distributed']);
export type Deployment = z.output<typeof deploymentSchema>;

export const busSchema = z
  .strictObject({
    /** Prepended to every topic name, so several pipelines can share one Kafka cluster. */
    topic_prefix: z.string().regex(/^[a-zA-Z0-9._-]*$/).default('fleetpulse.'),
    partitions: z.number().int().min(1).max(10_000).default(6),
    publish_timeout: duration({ min: 1 }).prefault('5s'),
    memory: z
      .strictObject({
        capacity_per_partition: z.number().int().min(1).default(10_000),
      })
      .prefault({}),
    kafka: z
      .strictObject({
        brokers: z
          .array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port'))
          .min(1)
          .register(valueHints, { expected: 'a list of host:port addresses, such as [127.0.0.1:9092]' })
          .default(['127.0.0.1:9092']),
        client_id: z.string().min(1).default('fleetpulse'),
        replication_factor: z.number().int().min(1).default(1),
        /** How long a consumer group waits for a silent member before giving its partitions to another. */
        session_timeout: duration({ min: 1_000 }).prefault('10s'),
      })
      .prefault({}),
  })
  .prefault({});
export type BusConfig = z.output<typeof busSchema>;

export const stateSchema = z
  .strictObject({
    redis: z
      .strictObject({
        url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
        key_prefix: z.string().default('fleetpulse:'),
      })
      .prefault({}),
  })
  .prefault({});
export type StateConfig = z.output<typeof stateSchema>;

/** Sections every role reads. */
export const commonShape = {
  deployment: deploymentSchema.default('embedded'),
  log_level: logLevel().default('info'),
  /** Directory for the embedded store and other local files. */
  data_dir: z.string().min(1).default('./data'),
  bus: busSchema,
  state: stateSchema,
};
