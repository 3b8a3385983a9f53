import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** TLS settings of the agent's connections to the gateway, as file paths. */
export interface ClientTlsFiles {
  /** PEM CA certificates that the gateway's certificate must chain to. The system's CAs are used when absent. */
  caFile?: string;
  /** PEM client certificate for mutual TLS, with `keyFile` as its private key. */
  certFile?: string;
  keyFile?: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The first bytes of the body as text, at most the client's `maxBodyBytes`. */
  body: string;
}

/** Default of `maxBodyBytes`. Larger bodies are cut off and the connection dropped, because the gateway's responses are small. */
const MAX_READ_BYTES = 64 * 1024;

/**
 * Client for HTTP and HTTPS requests to the gateway over keep-alive
 * connections, with the configured CA and client certificate. It uses
 * node:https rather than fetch, because Node 20's fetch takes a custom CA or
 * client certificate only through an undici dispatcher, which is not a
 * dependency of fleetpulse.
 */
export class GatewayHttpClient {
  private readonly httpsAgent: HttpsAgent;
  private readonly httpAgent = new HttpAgent({ keepAlive: true });

  constructor(tls: ClientTlsFiles = {}, private readonly maxBodyBytes = MAX_READ_BYTES) {
    this.httpsAgent = new HttpsAgent({
      keepAlive: true,
      ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
      ...(tls.certFile ? { cert: readFileSync(tls.certFile) } : {}),
      ...(tls.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
    });
  }

  request(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const headers = request.body === undefined ? request.headers : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };

    return new Promise((resolve, reject) => {
      const outgoing = send(url, { method: request.method, headers, agent: secure ? this.httpsAgent : this.httpAgent, signal: request.signal }, (response) => {
        const chunks: Buffer[] = [];
        let length = 0;
        response.on('data', (chunk: Buffer) => {
          if (length < this.maxBodyBytes) chunks.push(chunk);
          length += chunk.length;
          if (length > this.maxBodyBytes) response.destroy();
        });
        const finish = (): void => {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).subarray(0, this.maxBodyBytes).toString('utf8') });
        };
        response.on('end', finish);
        response.on('close', finish);
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
  }

  /** Closes every connection of the client, including any with a request in flight. */
  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}
