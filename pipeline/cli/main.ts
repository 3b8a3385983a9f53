#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { startAgent } from '../../agent/agent.js';
import { ConfigError } from '../config/load.js';
import { createLogger, type Logger } from '../log/logger.js';
import { type Command, parseCommand, UsageError, USAGE } from './args.js';
import { loadAgentConfig, loadFleetpulseConfig } from './config.js';
import { RuleFileError } from '../../processors/rules/rule-set.js';
import { startPipeline } from './pipeline.js';
import { runRulesCommand } from './rules.js';
import { runCredentialsCommand } from './credentials.js';
import { explainStartupError, StartupError } from './startup-errors.js';
import { TlsSetupError } from '../../ingest-gateway/tls/gateway-tls.js';

/** Exit status for a command line that cannot run, as many Unix tools use. */
const EXIT_USAGE = 2;

async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  switch (command.name) {
    case 'help':
      console.log(USAGE);
      return 0;
    case 'version':
      console.log(readVersion());
      return 0;
    case 'run':
      return run(command);
    case 'agent':
      return agent(command);
    case 'rules':
      return runRulesCommand(command);
    case 'credentials':
      return runCredentialsCommand(command);
  }
}

async function run(command: Extract<Command, { name: 'run' }>): Promise<number> {
  const config = loadFleetpulseConfig(command.config);
  const logger = createLogger({ level: config.log_level });
  logger.info({ deployment: config.deployment, roles: command.roles, config: command.config ?? '(defaults)' }, 'fleetpulse starting');

  const pipeline = await startPipeline(config, { roles: command.roles, logger, configFile: command.config }).catch((error: unknown) => {
    throw explainStartupError(error, config, command.roles) ?? error;
  });
  if (pipeline.gatewayUrl) {
    logger.info({ agents: `${pipeline.gatewayUrl}/v1/agents`, metrics: `${pipeline.gatewayUrl}/v1/metrics` }, 'fleetpulse is running; list agents with GET /v1/agents');
  }
  // SIGHUP rereads the rule files, as Prometheus does with its own.
  const reload = (): void => {
    void pipeline.processor?.reloadRules();
  };
  process.on('SIGHUP', reload);

  await untilSignal(logger);
  process.off('SIGHUP', reload);
  await pipeline.stop();
  logger.info('fleetpulse stopped');
  return 0;
}

async function agent(command: Extract<Command, { name: 'agent' }>): Promise<number> {
  const config = loadAgentConfig(command.config);
  const logger = createLogger({ level: config.log_level, component: 'agent' });
  logger.info({ agentId: config.agent_id, gateway: config.gateway_url, intervalMs: config.interval }, 'agent starting');

  const handle = startAgent(config, { logger });
  await untilSignal(logger);
  await handle.stop();
  return 0;
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
function untilSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'stopping; send the signal again to exit at once');
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

function readVersion(): string {
  const url = new URL('../../../package.json', import.meta.url);
  try {
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`fleetpulse: ${error.message}\n\n${USAGE}`);
      process.exitCode = EXIT_USAGE;
    } else if (error instanceof ConfigError || error instanceof RuleFileError || error instanceof TlsSetupError || error instanceof StartupError) {
      console.error(`fleetpulse: ${error.message}`);
      process.exitCode = 1;
    } else {
      console.error('fleetpulse: failed to start:', error);
      process.exitCode = 1;
    }
  },
);
