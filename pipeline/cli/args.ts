import { parseArgs, type ParseArgsConfig } from 'node:util';

export const ROLES = ['gateway', 'processor', 'router', 'sink'] as const;
export type Role = (typeof ROLES)[number];

export type Command =
  | { name: 'run'; config?: string; roles: Role[] }
  | { name: 'agent'; config?: string }
  | { name: 'rules'; action: 'check' | 'test'; files: string[]; config?: string }
  | { name: 'rules'; action: 'fmt'; files: string[]; write: boolean }
  | { name: 'credentials'; action: 'create'; config?: string; agentId: string; group?: string; tags: Record<string, string>; scopes: string[]; clientCertDir?: string }
  | { name: 'credentials'; action: 'revoke'; config?: string; clientIds: string[]; agentId?: string }
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
  fleetpulse credentials revoke [--config FILE] (CLIENT_ID... | --agent-id ID)
                                                    revoke credentials; every gateway rejects their tokens within seconds
  fleetpulse credentials list [--config FILE] [--json]
                                                    list credentials without their secrets
  fleetpulse --help | --version

Roles: ${ROLES.join(', ')}. A role alone needs deployment: distributed.
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
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') return { name: 'help' };
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
        group: { type: 'string' },
        tag: { type: 'string', multiple: true },
        scope: { type: 'string', multiple: true },
        'client-cert': { type: 'string' },
      });
      const agentId = values['agent-id'] as string | undefined;
      if (!agentId) throw new UsageError('credentials create needs --agent-id ID, the agent_id of the agent that will use them');
      const tags: Record<string, string> = {};
      for (const tag of (values.tag as string[] | undefined) ?? []) {
        const equals = tag.indexOf('=');
        if (equals < 1) throw new UsageError(`expected --tag KEY=VALUE, found ${JSON.stringify(tag)}`);
        tags[tag.slice(0, equals)] = tag.slice(equals + 1);
      }
      return {
        name: 'credentials',
        action,
        config: values.config as string | undefined,
        agentId,
        group: values.group as string | undefined,
        tags,
        scopes: (values.scope as string[] | undefined) ?? ['metrics:write'],
        clientCertDir: values['client-cert'] as string | undefined,
      };
    }
    case 'revoke': {
      const { values, positionals } = parse(more, { config: { type: 'string', short: 'c' }, 'agent-id': { type: 'string' } }, true);
      const agentId = values['agent-id'] as string | undefined;
      if (positionals.length === 0 && agentId === undefined) throw new UsageError('credentials revoke needs client ids or --agent-id ID');
      if (positionals.length > 0 && agentId !== undefined) throw new UsageError('credentials revoke takes client ids or --agent-id, not both');
      return { name: 'credentials', action, config: values.config as string | undefined, clientIds: positionals, agentId };
    }
    case 'list': {
      const { values } = parse(more, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } });
      return { name: 'credentials', action, config: values.config as string | undefined, json: values.json === true };
    }
    default:
      throw new UsageError(`expected credentials create, credentials revoke or credentials list, found ${action === undefined ? 'nothing' : JSON.stringify(`credentials ${action}`)}`);
  }
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
