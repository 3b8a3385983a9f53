import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseScopes, ScopeError } from '../../ingest-gateway/auth/scopes.js';
import { METRICS_WRITE_SCOPE } from '../../ingest-gateway/auth/tokens.js';
import { tagIssue } from '../messages/metric-batch.js';

export const ROLES = ['gateway', 'processor', 'router', 'sink', 'dashboard'] as const;
export type Role = (typeof ROLES)[number];

export type Command =
  | { name: 'run'; config?: string; roles: Role[] }
  | { name: 'agent'; config?: string }
  | { name: 'rules'; action: 'check' | 'test'; files: string[]; config?: string }
  | { name: 'rules'; action: 'fmt'; files: string[]; write: boolean }
  | {
      name: 'credentials';
      action: 'create';
      config?: string;
      /** Holder kind: `agent` for --agent-id, or `operator` for --client, a person or tool that reads data or creates silences. */
      kind: 'agent' | 'operator';
      /** The token subject: the agent id, or the operator client's name. */
      subject: string;
      group?: string;
      tags: Record<string, string>;
      scopes: string[];
      clientCertDir?: string;
    }
  | { name: 'credentials'; action: 'revoke'; config?: string; clientIds: string[]; subject?: string }
  | { name: 'credentials'; action: 'list'; config?: string; json: boolean }
  | { name: 'help' }
  | { name: 'version' };

/** Raised for a command line that cannot run; the message says what to type instead. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage:
  fleetpulse run [--config FILE] [--role ROLE]...   start the pipeline (every role unless --role is given)
  fleetpulse agent [--config FILE]                   report this host's metrics to a gateway
  fleetpulse rules check [--config FILE] FILE...     check rule files; exit 1 with diagnostics on errors
  fleetpulse rules test [--config FILE] FILE...      run rule unit-test files; exit 1 when a test fails
  fleetpulse rules fmt [--write] FILE...             print rule files in canonical form, or rewrite them
  fleetpulse credentials create [--config FILE] --agent-id ID [--group NAME] [--tag KEY=VALUE]... [--scope SCOPE]... [--client-cert DIR]
                                                    create OAuth2 client credentials for an agent; prints the secret once
  fleetpulse credentials create [--config FILE] --client NAME [--scope read,silences:write]
                                                    create credentials for a person or tool (scope read unless given)
  fleetpulse credentials revoke [--config FILE] (CLIENT_ID... | --agent-id ID | --client NAME)
                                                    revoke credentials; every gateway rejects their tokens within seconds
  fleetpulse credentials list [--config FILE] [--json]
                                                    list credentials without their secrets
  fleetpulse --help | --version

Roles: ${ROLES.join(', ')}. A role alone needs deployment: distributed.
Scopes: metrics:write (agents, the default with --agent-id), read and
silences:write (people and tools); --scope takes a comma-separated list.
Rule commands take files or directories: a directory is read as its .yml and
.yaml files (rules test: its .test.yml and .test.yaml files). With --config,
notify may name only the receivers under notifier.receivers of that
configuration, and windows are limited to its processor.max_window; without
it, any receiver name is accepted. fmt --write rewrites the files in place.
Every configuration key can be overridden by an environment variable:
FLEETPULSE_ followed by the key path in capitals joined with _, such as
FLEETPULSE_GATEWAY_PORT=9090 (agent keys: FLEETPULSE_AGENT_...).`;

export function parseCommand(argv: string[]): Command {
  const [name, ...rest] = argv;
  // `--help` after a command, as in `fleetpulse rules --help`, prints the same usage.
  if (name === undefined || name === 'help' || argv.includes('--help') || argv.includes('-h')) return { name: 'help' };
  if (name === '--version' || name === '-v') return { name: 'version' };

  switch (name) {
    case 'run': {
      const { values } = parse(rest, { config: { type: 'string', short: 'c' }, role: { type: 'string', multiple: true } });
      const roles = (values.role as string[] | undefined) ?? [...ROLES];
      for (const role of roles) {
        if (!(ROLES as readonly string[]).includes(role)) {
          throw new UsageError(`unknown role ${JSON.stringify(role)}; expected one of ${ROLES.join(', ')}`);
        }
      }
      return { name: 'run', config: values.config as string | undefined, roles: roles as Role[] };
    }
    case 'agent': {
      const { values } = parse(rest, { config: { type: 'string', short: 'c' } });
      return { name: 'agent', config: values.config as string | undefined };
    }
    case 'rules': {
      const [action, ...more] = rest;
      if (action !== 'check' && action !== 'test' && action !== 'fmt') {
        throw new UsageError(`expected rules check, rules test or rules fmt, found ${action === undefined ? 'nothing' : JSON.stringify(`rules ${action}`)}`);
      }
      if (action === 'fmt') {
        if (more.some((arg) => arg === '--config' || arg === '-c' || arg.startsWith('--config='))) {
          throw new UsageError('--config applies to rules check and rules test; rules fmt needs no configuration');
        }
        const { values, positionals } = parse(more, { write: { type: 'boolean', short: 'w' } }, true);
        if (positionals.length === 0) throw new UsageError('rules fmt needs at least one rule file');
        return { name: 'rules', action, files: positionals, write: values.write === true };
      }
      if (more.some((arg) => arg === '--write' || arg === '-w')) throw new UsageError(`--write applies only to rules fmt, not rules ${action}`);
      const { values, positionals } = parse(more, { config: { type: 'string', short: 'c' } }, true);
      if (positionals.length === 0) throw new UsageError(`rules ${action} needs at least one ${action === 'test' ? 'test' : 'rule'} file`);
      return { name: 'rules', action, files: positionals, config: values.config as string | undefined };
    }
    case 'credentials':
      return parseCredentialsCommand(rest);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(name)}; run fleetpulse --help`);
  }
}

function parseCredentialsCommand(rest: string[]): Command {
  const [action, ...more] = rest;
  switch (action) {
    case 'create': {
      const { values } = parse(more, {
        config: { type: 'string', short: 'c' },
        'agent-id': { type: 'string' },
        client: { type: 'string' },
        group: { type: 'string' },
        tag: { type: 'string', multiple: true },
        scope: { type: 'string', multiple: true },
        'client-cert': { type: 'string' },
      });
      const holder = credentialHolder(values['agent-id'] as string | undefined, values.client as string | undefined);
      const tags: Record<string, string> = {};
      for (const tag of (values.tag as string[] | undefined) ?? []) {
        const equals = tag.indexOf('=');
        if (equals < 1) throw new UsageError(`expected --tag KEY=VALUE, found ${JSON.stringify(tag)}`);
        const [key, value] = [tag.slice(0, equals), tag.slice(equals + 1)];
        const issue = tagIssue(key, value);
        if (issue !== undefined) throw new UsageError(`--tag ${JSON.stringify(tag)}: ${issue}`);
        tags[key] = value;
      }
      const scopes = scopesOf(values.scope as string[] | undefined, holder.kind);
      if (holder.kind === 'operator' && values['client-cert'] !== undefined) {
        throw new UsageError('--client-cert applies to agent credentials (--agent-id); the operator routes do not check client certificates');
      }
      return {
        name: 'credentials',
        action,
        config: values.config as string | undefined,
        ...holder,
        group: values.group as string | undefined,
        tags,
        scopes,
        clientCertDir: values['client-cert'] as string | undefined,
      };
    }
    case 'revoke': {
      const { values, positionals } = parse(more, { config: { type: 'string', short: 'c' }, 'agent-id': { type: 'string' }, client: { type: 'string' } }, true);
      const agentId = values['agent-id'] as string | undefined;
      const client = values.client as string | undefined;
      if (agentId !== undefined && client !== undefined) throw new UsageError('credentials revoke takes --agent-id or --client, not both');
      const subject = agentId ?? client;
      if (positionals.length === 0 && subject === undefined) throw new UsageError('credentials revoke needs client ids, --agent-id ID or --client NAME');
      if (positionals.length > 0 && subject !== undefined) throw new UsageError('credentials revoke takes client ids or --agent-id/--client, not both');
      return { name: 'credentials', action, config: values.config as string | undefined, clientIds: positionals, subject };
    }
    case 'list': {
      const { values } = parse(more, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } });
      return { name: 'credentials', action, config: values.config as string | undefined, json: values.json === true };
    }
    default:
      throw new UsageError(`expected credentials create, credentials revoke or credentials list, found ${action === undefined ? 'nothing' : JSON.stringify(`credentials ${action}`)}`);
  }
}

/** Returns the holder of the credentials from --agent-id or --client, and raises a UsageError unless exactly one of them is given. */
function credentialHolder(agentId: string | undefined, client: string | undefined): { kind: 'agent' | 'operator'; subject: string } {
  if (agentId !== undefined && client !== undefined) throw new UsageError('credentials create takes --agent-id (an agent) or --client (a person or tool), not both');
  if (client !== undefined) {
    if (client.trim() === '') throw new UsageError('--client needs a name, such as --client ops');
    return { kind: 'operator', subject: client };
  }
  if (!agentId) throw new UsageError('credentials create needs --agent-id ID, the agent_id of the agent that will use them, or --client NAME for a person or tool');
  return { kind: 'agent', subject: agentId };
}

/** Parses the --scope lists. Without --scope, agents get metrics:write and operator clients get read. */
function scopesOf(lists: string[] | undefined, kind: 'agent' | 'operator'): string[] {
  if (lists === undefined) return kind === 'agent' ? [METRICS_WRITE_SCOPE] : ['read'];
  let scopes: string[];
  try {
    scopes = parseScopes(lists);
  } catch (error) {
    if (error instanceof ScopeError) throw new UsageError(`--scope: ${error.message}`);
    throw error;
  }
  if (kind === 'operator' && scopes.includes(METRICS_WRITE_SCOPE)) {
    throw new UsageError(`--scope ${METRICS_WRITE_SCOPE} is for agents, whose agent_id is the token subject: create those credentials with --agent-id ID`);
  }
  return scopes;
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
