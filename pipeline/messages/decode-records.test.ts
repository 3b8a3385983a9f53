import { Writable } from 'node:stream';
import t from 'tap';
import type { DeliveredRecord } from '../bus/bus.js';
import { createLogger } from '../log/logger.js';
import { decodeRecord, decodeRecords } from './decode-records.js';
import { DECISIONS, type TopicSpec } from './topics.js';

function record(value: string, offset: string): DeliveredRecord {
  return { topic: 'decisions', partition: 0, offset, key: 'fp', value, timestamp: 0 };
}

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

t.test('decodeRecords skips invalid payloads', async (t) => {
  const { logger, lines } = capturingLogger();
  const valid = JSON.stringify({ version: 1, id: 'd1', ts: 0, fingerprint: 'fp', reason: 'first_notification' });

  const decoded = decodeRecords(DECISIONS, [record(valid, '1'), record('not json', '2')], logger);

  t.equal(decoded.length, 1, 'the valid record is decoded');
  t.equal(decoded[0]!.id, 'd1');
  t.equal(lines.length, 1, 'one line for the skipped record');
  t.equal(lines[0]!.msg, 'skipping unreadable record');
  t.equal(lines[0]!.offset, '2', 'the line names the offset');
});

t.test('decodeRecord rethrows other errors', async (t) => {
  const { logger } = capturingLogger();
  const failing: TopicSpec<never> = {
    name: 'decisions',
    decode: () => {
      throw new TypeError('decoder bug');
    },
  };

  t.throws(() => decodeRecord(failing, record('{}', '3'), logger), TypeError);
});
