import { Writable } from 'node:stream';
import { type Logger, createLogger } from '../../../pipeline/log/logger.js';

/**
 * Creates a logger with component `notifier` whose output is collected in
 * `lines`, one JSON line per entry because pino writes each line in one call.
 */
export function captureLog(level: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level, component: 'notifier', destination }), lines };
}
