import { z } from 'zod';
import { type AgentConfig, agentConfigFields, agentConfigSchema, checkClientCredentials, checkRetryBounds } from '../../agent/config.js';
import { dashboardConfigSchema } from '../../dashboard/config.js';
import { gatewayConfigSchema } from '../../ingest-gateway/config.js';
import { processorConfigSchema } from '../../processors/config.js';
import { receiverReferences, routerConfigSchema } from '../../processors/router/config.js';
import { duckdbConfigSchema } from '../../sinks/duckdb/config.js';
import { notifierConfigSchema } from '../../sinks/notifier.js';
import { questdbConfigSchema } from '../../sinks/questdb/config.js';
import { ConfigError, type ConfigIssue, loadConfig } from '../config/load.js';
import { commonShape } from '../config/schema.js';
import { valueHints } from '../config/value-hints.js';
import { OTHER_FLEETPULSE_VARIABLES } from './other-variables.js';

// agent/config.ts defines these keys, and the hints serve agent.yml and local_agent alike.
valueHints.add(agentConfigFields.shape.tags, { expected: 'a mapping of tag names to values, such as {env: prod}' });
valueHints.add(agentConfigFields.shape.probe_targets, { expected: 'a list of host:port targets, such as [db-1:5432]' });

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
  /** Live agent dashboard, described in dashboard/README.md. */
  dashboard: dashboardConfigSchema,
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
/** Documents that list every key, named in the messages about unknown keys. */
export const CONFIG_REFERENCE = 'docs/configuration.md';
export const AGENT_CONFIG_REFERENCE = 'agent/README.md';

/**
 * Loads the `fleetpulse run` configuration and checks the receivers it names.
 * Raises a ConfigError that also lists every FLEETPULSE_ variable that overrides no key.
 */
export function loadFleetpulseConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): FleetpulseConfig {
  const config = loadConfig({
    schema: fleetpulseConfigSchema,
    file,
    envPrefix: ENV_PREFIX,
    env,
    reference: CONFIG_REFERENCE,
    unknownVariables: { ignore: OTHER_FLEETPULSE_VARIABLES },
  });
  checkReferences(config, file ?? '(defaults)');
  return config;
}

/**
 * Loads the `fleetpulse agent` configuration from agent.yml and FLEETPULSE_AGENT_ variables.
 * Raises a ConfigError that also lists every FLEETPULSE_AGENT_ variable that overrides no key.
 */
export function loadAgentConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return loadConfig({ schema: agentConfigSchema, file, envPrefix: AGENT_ENV_PREFIX, env, reference: AGENT_CONFIG_REFERENCE, unknownVariables: { ignore: [] } });
}

/**
 * Raises a ConfigError for every receiver that the router names
 * (default_receivers and the receivers of every route) but notifier.receivers
 * does not define. The processor checks the receivers that rule files name
 * when it loads them.
 */
function checkReferences(config: FleetpulseConfig, source: string): void {
  const known = new Set(config.notifier.receivers.map((receiver) => receiver.name));
  const fix = known.size > 0 ? `define it under notifier.receivers or name one of ${[...known].join(', ')}` : 'define it under notifier.receivers, which defines no receiver yet';
  const issues: ConfigIssue[] = [];

  for (const { key, name } of receiverReferences(config.router)) {
    if (!known.has(name)) issues.push({ key, source, message: `unknown receiver ${JSON.stringify(name)}; ${fix}` });
  }

  if (issues.length > 0) throw new ConfigError(issues);
}
