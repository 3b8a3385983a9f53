import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from '../../pipeline/log/logger.js';
import type { GatewayConfig } from '../config.js';
import { addressBytes } from '../tagging/cidr.js';
import { type CertificateAndKey, createCertificateAuthority, issueCertificate } from './certificates.js';

/** Raised when the configured certificate files cannot be used. The message names the file and the fix. */
export class TlsSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsSetupError';
  }
}

/** TLS material of the HTTPS server, PEM encoded. */
export interface GatewayTls {
  cert: string;
  key: string;
  /** CAs that client certificates must chain to, when client_auth is not none. */
  clientCa?: string;
  /** Certificate file of the local CA, for agents to trust. Set only when fleetpulse generated the server certificate. */
  localCaFile?: string;
}

/** Returns the files of the local CA and the server certificate it issues, under <data_dir>/tls. */
export function localTlsPaths(dataDir: string) {
  const dir = resolve(dataDir, 'tls');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
  };
}

const CA_VALIDITY_DAYS = 3_650;
const SERVER_VALIDITY_DAYS = 365;
/** A generated server certificate this close to expiry is replaced at startup. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

/**
 * Loads the gateway's certificate and key from tls.cert_file and
 * tls.key_file. When neither is set, it loads them from <data_dir>/tls, where
 * the first start generates a local CA (ca.crt, ca.key) and a server
 * certificate that the CA signs. The server certificate is issued again when
 * it is missing, within 30 days of expiry, not signed by the local CA, or
 * lacks one of the names of `serverNames`. Unless tls.client_auth is none,
 * it also loads the client CA: tls.client_ca_file, else the local CA.
 */
export function loadGatewayTls(config: GatewayConfig, dataDir: string, logger: Logger, now = new Date()): GatewayTls {
  const { tls } = config;
  let material: GatewayTls;
  if (tls.cert_file && tls.key_file) {
    material = { cert: readPem(tls.cert_file, 'tls.cert_file'), key: readPem(tls.key_file, 'tls.key_file') };
    checkKeyPair(material, tls.cert_file, tls.key_file);
  } else {
    material = ensureLocalCertificates(config, dataDir, logger, now);
  }

  if (tls.client_auth !== 'none') {
    if (tls.client_ca_file) material.clientCa = readPem(tls.client_ca_file, 'tls.client_ca_file');
    else if (existsSync(localTlsPaths(dataDir).caCert)) material.clientCa = readFileSync(localTlsPaths(dataDir).caCert, 'utf8');
    else throw new TlsSetupError(`tls.client_auth is ${tls.client_auth} but tls.client_ca_file is not set and there is no local CA at ${localTlsPaths(dataDir).caCert}`);
  }
  return material;
}

/**
 * Lists the names that the generated server certificate must carry:
 * localhost, 127.0.0.1, ::1, the hostname, gateway.host when it is a
 * specific address, and tls.names.
 */
export function serverNames(config: GatewayConfig): string[] {
  const names = ['localhost', '127.0.0.1', '::1'];
  const host = hostname();
  if (/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) names.push(host);
  const listen = config.host;
  if (listen !== '0.0.0.0' && listen !== '::' && (isIP(listen) !== 0 || /^[A-Za-z0-9.-]+$/.test(listen))) names.push(listen);
  names.push(...config.tls.names);
  return [...new Set(names)];
}

function ensureLocalCertificates(config: GatewayConfig, dataDir: string, logger: Logger, now: Date): GatewayTls {
  const paths = localTlsPaths(dataDir);
  // Other users may read the directory, so that they can read ca.crt. The key files are 0600.
  mkdirSync(paths.dir, { recursive: true, mode: 0o755 });

  let authority: CertificateAndKey;
  if (existsSync(paths.caCert) && existsSync(paths.caKey)) {
    authority = { cert: readFileSync(paths.caCert, 'utf8'), key: readFileSync(paths.caKey, 'utf8') };
  } else {
    authority = createCertificateAuthority(`fleetpulse local CA (${hostname()})`, CA_VALIDITY_DAYS, now);
    writeSecret(paths.caKey, authority.key);
    writeFileSync(paths.caCert, authority.cert, { mode: 0o644 });
    logger.info({ caFile: paths.caCert }, 'generated a local certificate authority for the gateway');
  }

  const names = serverNames(config);
  const reason = serverCertificateProblem(paths.serverCert, paths.serverKey, authority, names, now);
  if (reason !== undefined) {
    const issued = issueCertificate(authority, { commonName: names[0]!, altNames: names, usage: ['server'], validityDays: SERVER_VALIDITY_DAYS, notBefore: now });
    writeSecret(paths.serverKey, issued.key);
    writeFileSync(paths.serverCert, issued.cert, { mode: 0o644 });
    logger.info(
      {
        reason,
        certFile: paths.serverCert,
        names,
        caFile: paths.caCert,
        trust: `agents: set tls.ca_file: ${paths.caCert} in agent.yml; curl: --cacert ${paths.caCert}`,
      },
      'issued the gateway server certificate from the local CA; clients trust it through the CA file',
    );
  }

  return { cert: readFileSync(paths.serverCert, 'utf8'), key: readFileSync(paths.serverKey, 'utf8'), localCaFile: paths.caCert };
}

/** Returns why the stored server certificate must be issued again, or undefined when it can be used. */
function serverCertificateProblem(certFile: string, keyFile: string, authority: CertificateAndKey, names: string[], now: Date): string | undefined {
  if (!existsSync(certFile) || !existsSync(keyFile)) return 'first start: no server certificate yet';
  const cert = new X509Certificate(readFileSync(certFile, 'utf8'));
  if (!cert.verify(new X509Certificate(authority.cert).publicKey)) return 'the server certificate is not signed by the local CA';
  if (Date.parse(cert.validTo) - now.getTime() < RENEW_BEFORE_MS) return `the server certificate expires on ${new Date(cert.validTo).toISOString()}`;
  const present = new Set((cert.subjectAltName ?? '').split(', ').map((entry) => entry.replace(/^(DNS|IP Address):/, '')));
  const missing = names.filter((name) => !present.has(isIP(name) === 6 ? expandIpv6(name) : name));
  return missing.length > 0 ? `the server certificate lacks the names ${missing.join(', ')}` : undefined;
}

/** Formats an IPv6 address as X509Certificate.subjectAltName shows it: eight upper-case hex groups without leading zeros. */
function expandIpv6(address: string): string {
  const bytes = addressBytes(address, 6);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16).toUpperCase());
  return groups.join(':');
}

function readPem(file: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new TlsSetupError(`cannot read ${setting} ${file}: ${(error as Error).message}`);
  }
}

function checkKeyPair(material: GatewayTls, certFile: string, keyFile: string): void {
  try {
    const cert = new X509Certificate(material.cert);
    if (!cert.checkPrivateKey(createPrivateKey(material.key))) throw new Error('the key does not belong to the certificate');
  } catch (error) {
    throw new TlsSetupError(`cannot use tls.cert_file ${certFile} with tls.key_file ${keyFile}: ${(error as Error).message}`);
  }
}

function writeSecret(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}
