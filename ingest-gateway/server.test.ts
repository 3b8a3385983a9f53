import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import t from 'tap';
import { startTestGatewayServer, batchFor, writePem } from './test-support/gateway.js';
import { createCertificateAuthority, issueCertificate } from './tls/certificates.js';
import { localTlsPaths } from './tls/gateway-tls.js';

/** Sends raw bytes to host:port and returns everything the server sent until it closed the connection. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

t.test('HTTPS server rejects plain HTTP', async (t) => {
  const gateway = await startTestGatewayServer();
  t.teardown(() => gateway.close());
  const port = Number(new URL(gateway.url).port);

  const body = batchFor('web-1');
  const reply = await rawExchange(port, `POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const expectedBody = `use https: this port serves HTTPS only; send the request to ${gateway.url}\n`;
  t.equal(
    reply,
    `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${expectedBody.length}\r\nConnection: close\r\n\r\n${expectedBody}`,
  );
  t.equal(gateway.bus.retained('test.metrics'), 0, 'nothing reached the bus');
  t.equal(gateway.security.counters.value('fleetpulse_gateway_plain_http_rejected_total'), 1);

  const metrics = await gateway.request('/metrics', { headers: { authorization: `Bearer ${await gateway.tokenFor('prometheus', ['read'])}` } });
  t.match(metrics.body, /^fleetpulse_gateway_plain_http_rejected_total 1$/m);
});

t.test('HTTPS server accepts a token over TLS', async (t) => {
  const gateway = await startTestGatewayServer();
  t.teardown(() => gateway.close());
  t.match(gateway.url, /^https:\/\/127\.0\.0\.1:\d+$/);

  const response = await gateway.request('/v1/metrics', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await gateway.tokenFor('web-1')}` },
    body: batchFor('web-1'),
  });
  t.equal(response.status, 202);
  t.equal(gateway.bus.retained('test.metrics'), 1);
});

t.test('HTTPS server listens on IPv6 loopback', async (t) => {
  const gateway = await startTestGatewayServer({ config: { host: '::1' } });
  t.teardown(() => gateway.close());
  t.match(gateway.url, /^https:\/\/\[::1\]:\d+$/);
  t.equal((await gateway.request('/healthz')).status, 200, 'the certificate names ::1');
});

t.test('mutual TLS with client certificates', async (t) => {
  const gateway = await startTestGatewayServer({ config: { tls: { client_auth: 'required' } } });
  t.teardown(() => gateway.close());
  const dir = gateway.dataDir;
  const paths = localTlsPaths(dir);
  const localCa = { cert: readFileSync(paths.caCert, 'utf8'), key: readFileSync(paths.caKey, 'utf8') };

  const valid = issueCertificate(localCa, { commonName: 'web-1', usage: ['client'], validityDays: 1 });
  const otherCa = createCertificateAuthority('another CA', 1);
  const foreign = issueCertificate(otherCa, { commonName: 'web-1', usage: ['client'], validityDays: 1 });
  const otherAgent = issueCertificate(localCa, { commonName: 'web-2', usage: ['client'], validityDays: 1 });
  const files = (name: string, pair: { cert: string; key: string }) => ({ certFile: writePem(dir, `${name}.crt`, pair.cert), keyFile: writePem(dir, `${name}.key`, pair.key) });

  const token = await gateway.tokenFor('web-1');
  const post = (certificate?: { certFile: string; keyFile: string }) =>
    gateway.request('/v1/metrics', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: batchFor('web-1'),
      ...certificate,
    });

  t.test('valid certificate', async (t) => {
    const response = await post(files('valid', valid));
    t.equal(response.status, 202, response.body);
  });

  t.test('certificate from another CA', async (t) => {
    const response = await post(files('foreign', foreign));
    t.equal(response.status, 401);
    const error = (JSON.parse(response.body) as { error: { code: string; message: string } }).error;
    t.equal(error.code, 'client_certificate_invalid');
    t.match(error.message, /^the client certificate was not accepted: \S+; it must be signed by the gateway's client CA \(tls\.client_ca_file\)$/);
  });

  t.test('missing certificate', async (t) => {
    const response = await post();
    t.equal(response.status, 401);
    t.same(JSON.parse(response.body), {
      error: {
        code: 'client_certificate_required',
        message: 'this gateway requires a client certificate (mutual TLS); configure tls.cert_file and tls.key_file in the agent',
      },
    });
  });

  t.test('certificate of another agent', async (t) => {
    const response = await post(files('web-2', otherAgent));
    t.equal(response.status, 403);
    t.same(JSON.parse(response.body), {
      error: { code: 'agent_mismatch', message: 'the client certificate is for agent web-2 but the token is for agent web-1' },
    });
  });

  t.test('token endpoint checks the certificate CN', async (t) => {
    const { record, clientSecret } = await gateway.credentialFor('web-1');
    const form = `grant_type=client_credentials&client_id=${record.clientId}&client_secret=${clientSecret}`;
    const mismatch = await gateway.request('/oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, ...files('web-2b', otherAgent) });
    t.equal(mismatch.status, 401);
    t.same(JSON.parse(mismatch.body), {
      error: 'invalid_client',
      error_description: 'the client certificate is for agent web-2, but these credentials are for agent web-1',
    });
    const matching = await gateway.request('/oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, ...files('valid-b', valid) });
    t.equal(matching.status, 200);
  });

  t.equal((await gateway.request('/healthz')).status, 200, 'health checks need no certificate');
});
