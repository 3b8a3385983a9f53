import type { Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';

/** Builds the plain-text reply to an HTTP request on the HTTPS port, like nginx's status 497. */
export function plainHttpReply(httpsUrl: string): string {
  const body = `use https: this port serves HTTPS only; send the request to ${httpsUrl}\n`;
  return [
    'HTTP/1.1 400 Bad Request',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Responds to plain HTTP sent to the HTTPS port with `400 use https` and closes
 * the connection.
 *
 * OpenSSL recognises a TLS record that starts with "GET ", "POST", "HEAD" or
 * "PUT " and fails the handshake with ERR_SSL_HTTP_REQUEST after reading
 * only the 5-byte record header, so the request line, headers and body are
 * never parsed. The reply is written to the raw TCP socket beneath the TLS
 * socket. Other plain-text input fails the handshake with another error and
 * the connection closes without a reply.
 *
 * NOTE: the raw socket is TLSSocket's undocumented `_parent` property (Node
 * 20). Where it is missing, the connection closes without a reply, which
 * still rejects the request.
 */
export function rejectPlainHttp(server: TlsServer, httpsUrl: () => string, onRejected: () => void): void {
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    if (error.code !== 'ERR_SSL_HTTP_REQUEST') return;
    onRejected();
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    if (!raw || raw.destroyed || !raw.writable) return;
    raw.write(plainHttpReply(httpsUrl()), () => raw.destroy());
  });
}
