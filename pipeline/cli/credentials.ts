import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join, resolve } from 'node:path';
import { createCredential } from '../../ingest-gateway/auth/enrollment.js';
import { type CertificateAndKey, issueCertificate } from '../../ingest-gateway/tls/certificates.js';
import { localTlsPaths } from '../../ingest-gateway/tls/gateway-tls.js';
import type { CredentialRecord } from '../state/credential-store.js';
import { type Command, UsageError } from './args.js';
import { loadConfig } from '../config/load.js';
import { CONFIG_REFERENCE, ENV_PREFIX, type FleetpulseConfig, fleetpulseConfigSchema } from './config.js';
import { agentConfigLines, openCredentialStore, operatorTokenCommands, publicGatewayUrl, trustedCaFile } from './security.js';

type CredentialsCommand = Extract<Command, { name: 'credentials' }>;

const CLIENT_CERT_VALIDITY_DAYS = 365;

/**
 * Runs `fleetpulse credentials create|revoke|list`, which manage the OAuth2
 * client credentials of agents (--agent-id) and of people and tools (--client)
 * in the store of the configured deployment (a file under data_dir, or Redis).
 * Returns the exit status.
 */
export async function runCredentialsCommand(command: CredentialsCommand, print: (line: string) => void = console.log): Promise<number> {
  // Only the deployment, data_dir, state and gateway sections matter here, so receivers are not cross-checked.
  const config = loadConfig({ schema: fleetpulseConfigSchema, file: command.config, envPrefix: ENV_PREFIX, reference: CONFIG_REFERENCE });
  const store = openCredentialStore(config);
  try {
    switch (command.action) {
      case 'create': {
        // Reads the local CA before creating anything, so that a missing CA leaves no credentials behind.
        const authority = command.clientCertDir !== undefined ? readLocalCa(config) : undefined;
        const { record, clientSecret } = await createCredential(store, { agentId: command.subject, group: command.group, tags: command.tags, scopes: command.scopes });
        print(`client_id:     ${record.clientId}`);
        print(`client_secret: ${clientSecret}`);
        print('The secret is shown only this once; fleetpulse keeps only its hash. Store it now.');
        const host = isIPv6(config.gateway.host) ? `[${config.gateway.host}]` : config.gateway.host;
        const gatewayUrl = publicGatewayUrl(`https://${host}:${config.gateway.port}`, config);

        if (command.kind === 'operator') {
          print(`scopes:        ${record.scopes.join(' ')}`);
          print('');
          print(`Request an access token (valid ${config.gateway.auth.token_ttl / 60_000} min, gateway.auth.token_ttl) and call the API with it.`);
          print('Set CLIENT_SECRET to the secret above first, for example with: read -rs CLIENT_SECRET');
          print('');
          print(indent(operatorTokenCommands({ gatewayUrl, caFile: trustedCaFile(config), clientAuthentication: `-u "${record.clientId}:$CLIENT_SECRET"` })));
          return 0;
        }

        const certificate = authority && command.clientCertDir !== undefined ? writeClientCertificate(authority, command.subject, command.clientCertDir, print) : undefined;
        print('');
        print('agent.yml for this agent (put the secret in the file named by client_secret_file, mode 0600,');
        print('or in the environment variable FLEETPULSE_AGENT_CLIENT_SECRET):');
        print('');
        const lines = agentConfigLines({
          agentId: command.subject,
          gatewayUrl,
          caFile: trustedCaFile(config),
          clientId: record.clientId,
          secretHint: 'client_secret_file: /etc/fleetpulse/client-secret',
          ...certificate,
        });
        print(indent(lines));
        return 0;
      }

      case 'revoke': {
        const all = await store.list();
        const clientIds = command.subject !== undefined ? all.filter((record) => record.agentId === command.subject).map((record) => record.clientId) : command.clientIds;
        const unknown = clientIds.filter((clientId) => !all.some((record) => record.clientId === clientId));
        if (unknown.length > 0) throw new UsageError(`no credentials with client id ${unknown.join(', ')}; run fleetpulse credentials list`);
        if (clientIds.length === 0) throw new UsageError(`no credentials for ${JSON.stringify(command.subject)}; run fleetpulse credentials list`);

        const revoked = await store.revoke(clientIds, Date.now());
        for (const record of revoked) print(`revoked ${record.clientId} (${record.agentId})`);
        const already = clientIds.length - revoked.length;
        if (already > 0) print(`${already} of them ${already === 1 ? 'was' : 'were'} revoked already`);
        print(`every gateway rejects their access tokens within ${config.gateway.auth.revocation_refresh / 1_000} s (gateway.auth.revocation_refresh)`);
        return 0;
      }

      case 'list': {
        const records = await store.list();
        if (command.json) {
          print(JSON.stringify(records.map(withoutHash), null, 2));
          return 0;
        }
        print(formatTable(records));
        return 0;
      }
    }
  } finally {
    await store.close();
  }
}

/** Reads the certificate and key of the gateway's local CA, or raises a UsageError when the gateway has not created them yet. */
function readLocalCa(config: FleetpulseConfig): CertificateAndKey {
  const paths = localTlsPaths(config.data_dir);
  if (!existsSync(paths.caCert) || !existsSync(paths.caKey)) {
    throw new UsageError(`--client-cert needs the gateway's local CA at ${paths.caCert}; start the gateway once to create it, or issue the certificate with your own CA`);
  }
  return { cert: readFileSync(paths.caCert, 'utf8'), key: readFileSync(paths.caKey, 'utf8') };
}

/** Issues a client certificate for mutual TLS from the gateway's local CA and writes it and its key (mode 0600) to `directory`. */
function writeClientCertificate(authority: CertificateAndKey, agentId: string, directory: string, print: (line: string) => void): { certFile: string; keyFile: string } {
  const issued = issueCertificate(authority, { commonName: agentId, usage: ['client'], validityDays: CLIENT_CERT_VALIDITY_DAYS });
  mkdirSync(directory, { recursive: true });
  const certFile = resolve(join(directory, `${agentId}.crt`));
  const keyFile = resolve(join(directory, `${agentId}.key`));
  writeFileSync(certFile, issued.cert, { mode: 0o644 });
  writeFileSync(keyFile, issued.key, { mode: 0o600 });
  print(`client certificate: ${certFile} (key ${keyFile}), CN=${agentId}, valid ${CLIENT_CERT_VALIDITY_DAYS} days`);
  return { certFile, keyFile };
}

function withoutHash(record: CredentialRecord): Omit<CredentialRecord, 'secretHash'> {
  const { secretHash: _hash, ...rest } = record;
  return rest;
}

function formatTable(records: CredentialRecord[]): string {
  if (records.length === 0) return 'no credentials; create some with fleetpulse credentials create --agent-id ID (or --client NAME)';
  const rows = [
    ['CLIENT ID', 'AGENT/CLIENT', 'GROUP', 'SCOPES', 'CREATED', 'REVOKED'],
    ...records.map((record) => [
      record.clientId,
      record.agentId,
      record.group,
      record.scopes.join(' '),
      new Date(record.createdAt).toISOString(),
      record.revokedAt === undefined ? '-' : new Date(record.revokedAt).toISOString(),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
