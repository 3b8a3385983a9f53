import t from 'tap';
import { createBuffer, SenderOptions } from '@questdb/nodejs-client';
import type { IngestedBatch } from '../../pipeline/messages/metric-batch.js';
import { encodeDeliveryRow, encodeSampleRow, SkippedColumns } from './encoding.js';

const TS = Date.parse('2026-03-01T12:00:00Z');

/** A protocol version 1 buffer, whose text output shows every value as written. */
async function textBuffer() {
  const options = await SenderOptions.fromConfig('http::addr=127.0.0.1:9000;protocol_version=1;auto_flush=off');
  return createBuffer(options);
}

const batch: IngestedBatch = {
  version: 1,
  agentId: 'web 1',
  tags: { env: 'prod' },
  receivedAt: TS + 250,
  samples: [{ metric: 'requests_total', value: 3, ts: TS, labels: { route: '/a,b', code: '200' } }],
};

t.test('encodeSampleRow writes a metrics line', async (t) => {
  const buffer = await textBuffer();
  const skipped = new SkippedColumns();
  encodeSampleRow(buffer, 'metrics', batch, batch.samples[0]!, skipped);
  const line = buffer.toBufferView()!.toString();

  // In ILP text a number without the `i` suffix is a double, so `value=3` lands in a DOUBLE column.
  t.equal(
    line,
    'metrics,agent=web\\ 1,metric=requests_total,series={code\\="200"\\,route\\="/a\\,b"},tag_env=prod,label_route=/a\\,b,label_code=200 ' +
      `value=3,received_at=${(TS + 250) * 1_000}t ${TS * 1_000_000}\n`,
  );
  t.equal(skipped.count, 0);
});

t.test('encodeSampleRow skips keys QuestDB cannot take', async (t) => {
  const buffer = await textBuffer();
  const skipped = new SkippedColumns();
  const long = 'k'.repeat(125);
  const sample = { metric: 'm', value: 1.5, ts: TS, labels: { core: '1', Core: '2', [long]: 'x', 'bad-key': 'y' } };
  encodeSampleRow(buffer, 'metrics', { ...batch, tags: {}, samples: [sample] }, sample, skipped);
  const line = buffer.toBufferView()!.toString();

  t.match(line, /label_core=1 /);
  t.notMatch(line, /label_Core|label_kkk|label_bad-key/, 'no column for the skipped keys');
  t.match(line, /series=\{Core\\="2"\\,bad-key/, 'the series key still covers every label');
  t.equal(skipped.count, 3);
  t.same(skipped.examples, ['label_Core', `label_${long}`, 'label_bad-key']);
});

t.test('encodeDeliveryRow leaves error out when absent', async (t) => {
  const buffer = await textBuffer();
  encodeDeliveryRow(buffer, 'deliveries', { ts: TS, idempotencyKey: 'fp:1:oncall', fingerprint: 'fp', receiver: 'oncall', channel: 'webhook', outcome: 'delivered', attempts: 1 });
  t.equal(buffer.toBufferView()!.toString(), `deliveries,fingerprint=fp,receiver=oncall,channel=webhook,outcome=delivered idempotency_key="fp:1:oncall",attempts=1i ${TS * 1_000_000}\n`);
});
