import { Kafka, logLevel } from 'kafkajs';
import { connect } from 'node:net';
import pg from 'pg';
import t from 'tap';
import { freePorts, startPrivateKafka, startPrivateQuestdb } from './service-control.js';
import { eventually } from './services.js';

const portClosed = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

t.test('freePorts returns distinct ports', async (t) => {
  const ports = await freePorts(4);
  t.equal(new Set(ports).size, 4);
  for (const port of ports) t.ok(port > 0 && port < 65_536, `port ${port} is in range`);
});

t.test('private Kafka keeps data across stop, kill and start', async (t) => {
  const kafka = await startPrivateKafka({ heap: '256m' });
  t.teardown(() => kafka.dispose());
  t.match(kafka.brokers, [/^127\.0\.0\.1:\d+$/]);
  t.equal(await kafka.isRunning(), true);

  const client = new Kafka({ clientId: 'service-control-test', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  const cluster = await admin.describeCluster();
  t.equal(cluster.brokers.length, 1);
  t.equal(cluster.brokers[0]?.port, kafka.port);
  t.equal(await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 2 }], waitForLeaders: true }), true);
  await admin.disconnect();

  const producer = client.producer();
  await producer.connect();
  await producer.send({ topic: 'kept', acks: -1, messages: [{ key: 'a', value: 'before stop' }] });
  await producer.disconnect();

  await kafka.stop();
  t.equal(await kafka.isRunning(), false);
  t.equal(await portClosed(kafka.port), true, 'client port is closed after stop');

  await kafka.start();
  t.equal(await kafka.isRunning(), true);
  await kafka.kill();
  t.equal(await kafka.isRunning(), false, 'stopped after kill');
  await kafka.start();

  const readBack = client.admin();
  await readBack.connect();
  t.teardown(() => readBack.disconnect());
  const topics = await readBack.listTopics();
  t.ok(topics.includes('kept'), 'topic survives the restarts');
  const offsets = await readBack.fetchTopicOffsets('kept');
  const records = offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
  t.equal(records, 1, 'the record published before the stop is still there');
});

t.test('private QuestDB survives kill and restart', async (t) => {
  const questdb = await startPrivateQuestdb({ heap: '256m' });
  t.teardown(() => questdb.dispose());

  const response = await fetch(`${questdb.http}/exec?query=${encodeURIComponent('select 1 as one')}`);
  t.equal(response.status, 200);
  t.match(await response.json(), { dataset: [[1]] });

  const client = new pg.Client({ connectionString: questdb.pg });
  await client.connect();
  await client.query('create table kept (v long, ts timestamp) timestamp(ts) partition by day wal');
  await client.query("insert into kept values (42, '2026-01-01T00:00:00Z')");
  await client.end();

  await questdb.kill();
  t.equal(await questdb.isRunning(), false);
  await questdb.start();

  const after = new pg.Client({ connectionString: questdb.pg });
  await after.connect();
  t.teardown(() => after.end());
  const rows = await eventually(async () => {
    const result = await after.query('select v from kept');
    return result.rows.length > 0 ? result.rows : undefined;
  }, 20_000, 'the row written before the kill');
  t.same(rows, [{ v: '42' }]);
});
