// Exits 0 when the server at HOST:PORT responds to a Kafka ApiVersions
// request, which every Kafka broker accepts before any other request, and 1
// otherwise.
// It needs no package (not even kafkajs), so scripts/services.sh can tell a
// broker started elsewhere from another program on the port before `npm ci`.
//
//   node scripts/services/kafka-api-versions.mjs 127.0.0.1:9092
import net from 'node:net';

const address = process.argv[2];
const match = /^(.+):(\d+)$/.exec(address ?? '');
if (!match) {
  console.error('usage: node kafka-api-versions.mjs HOST:PORT');
  process.exit(2);
}

const API_VERSIONS = 18;
const CORRELATION_ID = 0x66_70_31; // arbitrary; the broker echoes it
const CLIENT_ID = Buffer.from('fleetpulse-services-probe');
// A broker responds to a version it does not support with this error in a version 0 response, which still proves it is Kafka.
const UNSUPPORTED_VERSION = 35;

// Request header v1 (api_key, api_version 0, correlation_id, client_id) and an empty v0 body, after the int32 size.
const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + CLIENT_ID.length);
request.writeInt32BE(request.length - 4, 0);
request.writeInt16BE(API_VERSIONS, 4);
request.writeInt16BE(0, 6);
request.writeInt32BE(CORRELATION_ID, 8);
request.writeInt16BE(CLIENT_ID.length, 12);
CLIENT_ID.copy(request, 14);

// A program that accepts the connection and sends nothing must not stall the caller.
setTimeout(() => process.exit(1), 3_000).unref();

const socket = net.connect({ host: match[1], port: Number(match[2]) }, () => socket.write(request));
let received = Buffer.alloc(0);
socket.on('data', (chunk) => {
  received = Buffer.concat([received, chunk]);
  // Size, correlation id and error code are the first 10 bytes of the response.
  if (received.length < 10) return;
  const correlationId = received.readInt32BE(4);
  const errorCode = received.readInt16BE(8);
  socket.destroy();
  process.exit(correlationId === CORRELATION_ID && (errorCode === 0 || errorCode === UNSUPPORTED_VERSION) ? 0 : 1);
});
socket.on('error', () => process.exit(1));
socket.on('close', () => process.exit(1));
