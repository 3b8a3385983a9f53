import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createCertificateAuthority } from '../../ingest-gateway/tls/certificates.js';
import { localTlsPaths } from '../../ingest-gateway/tls/gateway-tls.js';
import { FileCredentialStore } from '../state/credential-store.js';
import { parseCommand, UsageError } from './args.js';
import { runCredentialsCommand } from './credentials.js';
import { securityFiles } from './security.js';
import { temporaryDirectory } from './test-support/files.js';

type CredentialsCommand = Parameters<typeof runCredentialsCommand>[0];

async function run(dataDir: string, argv: string[]): Promise<{ status: number; output: string }> {
  const lines: string[] = [];
  const previous = process.env.FLEETPULSE_DATA_DIR;
  process.env.FLEETPULSE_DATA_DIR = dataDir;
  try {
    const status = await runCredentialsCommand(parseCommand(['credentials', ...argv]) as CredentialsCommand, (line) => lines.push(line));
    return { status, output: lines.join('\n') };
  } finally {
    if (previous === undefined) delete process.env.FLEETPULSE_DATA_DIR;
    else process.env.FLEETPULSE_DATA_DIR = previous;
  }
}

t.test('credentials create prints the secret once', async (t) => {
  const dir = temporaryDirectory(t);
  const { status, output } = await run(dir, ['create', '--agent-id', 'web-1', '--group', 'edge', '--tag', 'env=prod']);
  t.equal(status, 0);
  const clientId = /^client_id: +(fpc_[0-9a-f]{32})$/m.exec(output)?.[1];
  const secret = /^client_secret: +(\S+)$/m.exec(output)?.[1];
  t.ok(clientId, 'client id printed');
  t.ok(secret && secret.length >= 43, 'secret printed');
  t.match(output, new RegExp(`^  gateway_url: https://127\\.0\\.0\\.1:8443$`, 'm'));
  t.match(output, new RegExp(`^    ca_file: ${localTlsPaths(dir).caCert.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  t.match(output, new RegExp(`^  client_id: ${clientId}$`, 'm'));

  const file = securityFiles(dir).credentials;
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.notOk(readFileSync(file, 'utf8').includes(secret!), 'the store holds only the hash');
  const stored = await new FileCredentialStore(file).get(clientId!);
  t.match(stored, { agentId: 'web-1', group: 'edge', tags: { env: 'prod' }, scopes: ['metrics:write'] });

  const list = await run(dir, ['list']);
  t.match(list.output, /^CLIENT ID +AGENT\/CLIENT +GROUP +SCOPES +CREATED +REVOKED$/m);
  t.match(list.output, new RegExp(`^${clientId} +web-1 +edge +metrics:write +\\S+ +-$`, 'm'));
  t.notOk(list.output.includes(secret!));
});

t.test('credentials revoke by agent id', async (t) => {
  const dir = temporaryDirectory(t);
  await run(dir, ['create', '--agent-id', 'web-1']);
  await run(dir, ['create', '--agent-id', 'web-1']);
  await run(dir, ['create', '--agent-id', 'web-2']);
  const { status, output } = await run(dir, ['revoke', '--agent-id', 'web-1']);
  t.equal(status, 0);
  t.equal(output.split('\n').filter((line) => line.startsWith('revoked fpc_')).length, 2);
  t.match(output, /every gateway rejects their access tokens within 2 s/);

  const listed = JSON.parse((await run(dir, ['list', '--json'])).output) as Array<{ agentId: string; revokedAt?: number; secretHash?: string }>;
  t.same(listed.map((record) => [record.agentId, record.revokedAt !== undefined]), [['web-1', true], ['web-1', true], ['web-2', false]]);
  t.notOk(listed.some((record) => 'secretHash' in record), 'the JSON list has no hashes');

  await t.rejects(run(dir, ['revoke', 'fpc_nope']), UsageError);
});

t.test('credentials create with a client certificate', async (t) => {
  const dir = temporaryDirectory(t);
  await t.rejects(run(dir, ['create', '--agent-id', 'web-1', '--client-cert', join(dir, 'certs')]), /needs the gateway's local CA/);
  t.same(JSON.parse((await run(dir, ['list', '--json'])).output), [], 'no credentials without the local CA');

  // Writes the local CA as the gateway's first start would leave it.
  const paths = localTlsPaths(dir);
  mkdirSync(paths.dir);
  const authority = createCertificateAuthority('local', 30);
  writeFileSync(paths.caCert, authority.cert);
  writeFileSync(paths.caKey, authority.key);

  const { output } = await run(dir, ['create', '--agent-id', 'web-1', '--client-cert', join(dir, 'certs')]);
  const cert = new X509Certificate(readFileSync(join(dir, 'certs', 'web-1.crt')));
  t.equal(cert.subject, 'O=fleetpulse\nCN=web-1');
  t.ok(cert.verify(new X509Certificate(authority.cert).publicKey));
  t.equal(statSync(join(dir, 'certs', 'web-1.key')).mode & 0o777, 0o600);
  t.match(output, /^    cert_file: .*web-1\.crt$/m);
});

t.test('credentials command line errors', async (t) => {
  t.throws(
    () => parseCommand(['credentials', 'create']),
    new UsageError('credentials create needs --agent-id ID, the agent_id of the agent that will use them, or --client NAME for a person or tool'),
  );
  t.throws(() => parseCommand(['credentials', 'create', '--agent-id', 'a', '--tag', 'novalue']), new UsageError('expected --tag KEY=VALUE, found "novalue"'));
  t.throws(
    () => parseCommand(['credentials', 'create', '--agent-id', 'a', '--tag', 'data-centre=eu']),
    new UsageError('--tag "data-centre=eu": invalid name; expected letters, digits and underscores, not starting with a digit (at most 128 characters)'),
  );
  t.throws(() => parseCommand(['credentials', 'revoke']), new UsageError('credentials revoke needs client ids, --agent-id ID or --client NAME'));
  t.throws(() => parseCommand(['credentials', 'rotate']), new UsageError('expected credentials create, credentials revoke or credentials list, found "credentials rotate"'));
});

t.test('credentials create for an operator client', async (t) => {
  const dir = temporaryDirectory(t);
  const { status, output } = await run(dir, ['create', '--client', 'ops', '--scope', 'read,silences:write']);
  t.equal(status, 0);
  const clientId = /^client_id: +(fpc_[0-9a-f]{32})$/m.exec(output)?.[1];
  const secret = /^client_secret: +(\S+)$/m.exec(output)?.[1];
  t.ok(clientId, 'client id printed');
  t.ok(secret, 'secret printed');
  t.match(output, /^scopes: +read silences:write$/m);
  t.match(output, new RegExp(`-u "${clientId}:\\$CLIENT_SECRET" https://127\\.0\\.0\\.1:8443/oauth/token`), 'the token request');
  t.match(output, /Set CLIENT_SECRET to the secret above first/, 'says where CLIENT_SECRET comes from');
  t.match(output, /-H "Authorization: Bearer \$TOKEN" https:\/\/127\.0\.0\.1:8443\/v1\/agents$/m, 'a read request');
  t.notMatch(output, /agent\.yml/, 'no agent configuration');

  const stored = await new FileCredentialStore(securityFiles(dir).credentials).get(clientId!);
  t.match(stored, { agentId: 'ops', scopes: ['read', 'silences:write'] });

  const readOnly = await run(dir, ['create', '--client', 'grafana']);
  t.match(readOnly.output, /^scopes: +read$/m, 'read unless --scope is given');
  const list = await run(dir, ['list']);
  t.match(list.output, new RegExp(`^${clientId} +ops +default +read silences:write +\\S+ +-$`, 'm'));

  const revoked = await run(dir, ['revoke', '--client', 'ops']);
  t.match(revoked.output, new RegExp(`^revoked ${clientId} \\(ops\\)$`, 'm'));
});

t.test('credentials scopes from the command line', async (t) => {
  const scopesOf = (argv: string[]) => (parseCommand(['credentials', 'create', ...argv]) as { kind: string; subject: string; scopes: string[] });
  t.match(scopesOf(['--agent-id', 'web-1']), { kind: 'agent', subject: 'web-1', scopes: ['metrics:write'] });
  t.match(scopesOf(['--client', 'ops']), { kind: 'operator', subject: 'ops', scopes: ['read'] });
  t.same(scopesOf(['--client', 'ops', '--scope', 'read', '--scope', 'silences:write,read']).scopes, ['read', 'silences:write']);
  t.same(scopesOf(['--agent-id', 'web-1', '--scope', 'metrics:write,read']).scopes, ['metrics:write', 'read']);

  t.throws(() => scopesOf(['--client', 'ops', '--scope', 'read,admin']), new UsageError('--scope: unknown scope "admin"; expected one of metrics:write, read, silences:write'));
  t.throws(() => scopesOf(['--client', 'ops', '--scope', ',']), new UsageError('--scope: expected a scope, found ","; known scopes: metrics:write, read, silences:write'));
  t.throws(
    () => scopesOf(['--client', 'ops', '--scope', 'metrics:write']),
    new UsageError('--scope metrics:write is for agents, whose agent_id is the token subject: create those credentials with --agent-id ID'),
  );
  t.throws(() => scopesOf(['--client', 'ops', '--agent-id', 'web-1']), new UsageError('credentials create takes --agent-id (an agent) or --client (a person or tool), not both'));
  t.throws(() => scopesOf(['--client', ' ']), new UsageError('--client needs a name, such as --client ops'));
  t.throws(
    () => scopesOf(['--client', 'ops', '--client-cert', 'certs']),
    new UsageError('--client-cert applies to agent credentials (--agent-id); the operator routes do not check client certificates'),
  );
  t.throws(() => parseCommand(['credentials', 'revoke', '--client', 'ops', '--agent-id', 'web-1']), new UsageError('credentials revoke takes --agent-id or --client, not both'));
});
