// Exits 0 when the Kafka broker at the given host:port responds to a metadata
// request (kafkajs admin.describeCluster) that lists at least one broker,
// 1 otherwise. scripts/services.sh polls it while a broker starts.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const broker = process.argv[2];
if (!broker) {
  console.error('usage: node kafka-ready.mjs HOST:PORT');
  process.exit(2);
}

// A hung connection must not stall the caller's polling loop.
setTimeout(() => process.exit(1), 5_000).unref();

const admin = new Kafka({
  clientId: 'fleetpulse-services-ready',
  brokers: [broker],
  connectionTimeout: 1_000,
  requestTimeout: 3_000,
  retry: { retries: 0 },
  logLevel: logLevel.NOTHING,
}).admin();

try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  process.exitCode = cluster.brokers.length > 0 ? 0 : 1;
} catch {
  process.exitCode = 1;
} finally {
  await admin.disconnect().catch(() => {});
}
