import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { silentLogger } from '../../pipeline/log/logger.js';
import { gatewayConfigSchema } from '../config.js';
import { createCertificateAuthority, issueCertificate } from './certificates.js';
import { loadGatewayTls, localTlsPaths, TlsSetupError } from './gateway-tls.js';

function tempDir(t: { teardown(cleanup: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('certificate authority issues server and client certificates', async (t) => {
  const authority = createCertificateAuthority('test CA', 30);
  const ca = new X509Certificate(authority.cert);
  t.equal(ca.ca, true);
  t.equal(ca.subject, 'O=fleetpulse\nCN=test CA');

  const server = new X509Certificate(issueCertificate(authority, { commonName: 'localhost', altNames: ['localhost', '127.0.0.1', '::1', 'gw.example'], usage: ['server'], validityDays: 10 }).cert);
  t.equal(server.ca, false);
  t.ok(server.checkIssued(ca), 'the issuer is the CA');
  t.ok(server.verify(ca.publicKey), 'the CA signed it');
  t.equal(server.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:gw.example');
  t.same(server.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth only');
  t.ok(server.checkHost('localhost'));
  t.ok(server.checkIP('::1'));

  const client = new X509Certificate(issueCertificate(authority, { commonName: 'web-1', usage: ['client'], validityDays: 10 }).cert);
  t.equal(client.subject, 'O=fleetpulse\nCN=web-1');
  t.same(client.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'clientAuth only');
  const days = (Date.parse(client.validTo) - Date.parse(client.validFrom)) / 86_400_000;
  t.equal(days, 10);
});

t.test('local TLS generated on first start', async (t) => {
  const dir = tempDir(t);
  const config = gatewayConfigSchema.parse({ tls: { names: ['gateway.internal'] } });
  const first = loadGatewayTls(config, dir, silentLogger);
  const paths = localTlsPaths(dir);
  t.equal(first.localCaFile, paths.caCert);
  t.equal(statSync(paths.caKey).mode & 0o777, 0o600, 'the CA key is private');
  t.equal(statSync(paths.serverKey).mode & 0o777, 0o600, 'the server key is private');

  const cert = new X509Certificate(first.cert);
  for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', `DNS:${hostname()}`, 'DNS:gateway.internal']) {
    t.ok(cert.subjectAltName?.split(', ').includes(name), `SAN ${name}`);
  }
  t.ok(cert.verify(new X509Certificate(readFileSync(paths.caCert)).publicKey));

  const second = loadGatewayTls(config, dir, silentLogger);
  t.equal(second.cert, first.cert, 'a restart keeps the certificate');

  const more = loadGatewayTls(gatewayConfigSchema.parse({ tls: { names: ['gateway.internal', '10.1.2.3'] } }), dir, silentLogger);
  t.not(more.cert, first.cert, 'a new name issues a new certificate');
  t.match(new X509Certificate(more.cert).subjectAltName, /IP Address:10\.1\.2\.3/);
  t.ok(new X509Certificate(more.cert).verify(new X509Certificate(readFileSync(paths.caCert)).publicKey), 'issued by the same CA');
});

t.test('local TLS with an IPv4-mapped name', async (t) => {
  const dir = tempDir(t);
  const config = gatewayConfigSchema.parse({ tls: { names: ['::ffff:192.0.2.1'] } });
  const first = loadGatewayTls(config, dir, silentLogger);
  t.ok(new X509Certificate(first.cert).subjectAltName?.split(', ').includes('IP Address:0:0:0:0:0:FFFF:C000:201'), 'SAN of the mapped address');

  const second = loadGatewayTls(config, dir, silentLogger);
  t.equal(second.cert, first.cert, 'a restart keeps the certificate');
});

t.test('local TLS with configured certificates', async (t) => {
  const dir = tempDir(t);
  const authority = createCertificateAuthority('own CA', 30);
  const issued = issueCertificate(authority, { commonName: 'gw', altNames: ['gw'], usage: ['server'], validityDays: 30 });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'gw.crt'), issued.cert);
  writeFileSync(join(dir, 'gw.key'), issued.key);
  writeFileSync(join(dir, 'other.key'), createCertificateAuthority('x', 1).key);

  const loaded = loadGatewayTls(gatewayConfigSchema.parse({ tls: { cert_file: join(dir, 'gw.crt'), key_file: join(dir, 'gw.key') } }), dir, silentLogger);
  t.equal(loaded.cert, issued.cert);
  t.equal(loaded.localCaFile, undefined, 'no local CA is generated');
  t.throws(() => loadGatewayTls(gatewayConfigSchema.parse({ tls: { cert_file: join(dir, 'gw.crt'), key_file: join(dir, 'other.key') } }), dir, silentLogger), TlsSetupError);
  t.throws(
    () => loadGatewayTls(gatewayConfigSchema.parse({ tls: { cert_file: join(dir, 'missing.crt'), key_file: join(dir, 'gw.key') } }), dir, silentLogger),
    /^cannot read tls\.cert_file /,
  );
});
