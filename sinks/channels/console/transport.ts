import type { Logger } from '../../../pipeline/log/logger.js';
import type { ConsoleLine } from './encode.js';

/** Writes a console line at warn level, so that it shows under the default `info` log level and above. */
export function writeConsoleLine(logger: Logger, line: ConsoleLine): void {
  logger.warn(line.fields, line.message);
}
