import type { Command } from './args.js';

/** Runs `fleetpulse rules check|test|fmt`; returns the exit status. */
export async function runRulesCommand(command: Extract<Command, { name: 'rules' }>): Promise<number> {
  // TODO: wire the rule DSL's check, test and fmt once the rule engine lands.
  console.error(`fleetpulse rules ${command.action} is not available yet`);
  return 1;
}
