import { z } from 'zod';
import { agentConfigFields, checkClientCredentials, checkRetryBounds } from '../../agent/config.js';
import { gatewayConfigSchema } from '../../ingest-gateway/config.js';
import { processorConfigSchema } from '../../processors/config.js';
import { receiverReferences, routerConfigSchema } from '../../processors/router/config.js';
import { duckdbConfigSchema } from '../../sinks/duckdb/config.js';
import { notifierConfigSchema } from '../../sinks/notifier.js';
import { questdbConfigSchema } from '../../sinks/questdb/config.js';
import { ConfigError, type ConfigIssue, loadConfig } from '../config/load.js';
import { commonShape } from '../config/schema.js';

/**
 * The whole configuration of `fleetpulse run`: the shared sections from
 * pipeline/config plus each role's own section, owned by the role's folder.
 */
export const fleetpulseConfigSchema = z.strictObject({
  ...commonShape,
  gateway: gatewayConfigSchema,
  processor: processorConfigSchema,
  router: routerConfigSchema,
  notifier: notifierConfigSchema,
  store: z
    .strictObject({
      duckdb: duckdbConfigSchema,
      questdb: questdbConfigSchema,
    })
    .prefault({}),
  /** An agent for this host, started by `fleetpulse run` beside the gateway. */
  local_agent: agentConfigFields
    .extend({
      enabled: z.boolean().default(false),
      /** Gateway to report to; this process's own gateway when absent. */
      gateway_url: z.string().url().optional(),
    })
    .superRefine((agent, context) => {
      checkRetryBounds(agent, context);
      checkClientCredentials(agent, context);
    })
    .prefault({}),
});

export type FleetpulseConfig = z.output<typeof fleetpulseConfigSchema>;

export const ENV_PREFIX = 'FLEETPULSE_';
export const AGENT_ENV_PREFIX = 'FLEETPULSE_AGENT_';

/** Loads `fleetpulse run` configuration and checks the receivers it names. */
export function loadFleetpulseConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): FleetpulseConfig {
  const config = loadConfig({ schema: fleetpulseConfigSchema, file, envPrefix: ENV_PREFIX, env });
  checkReferences(config, file ?? '(defaults)');
  return config;
}

/**
 * Every receiver the router names (default_receivers and the receivers of
 * every route) must be configured under notifier.receivers. The processor
 * checks the receivers that rule files name when it loads them.
 */
function checkReferences(config: FleetpulseConfig, source: string): void {
  const known = new Set(config.notifier.receivers.map((receiver) => receiver.name));
  const expected = known.size > 0 ? `one of ${[...known].join(', ')}` : 'a receiver defined under notifier.receivers (none is)';
  const issues: ConfigIssue[] = [];

  for (const { key, name } of receiverReferences(config.router)) {
    if (!known.has(name)) issues.push({ key, source, message: `unknown receiver ${JSON.stringify(name)}; expected ${expected}` });
  }

  if (issues.length > 0) throw new ConfigError(issues);
}
