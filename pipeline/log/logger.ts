import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Field paths that may carry a secret. pino replaces their values before a
 * line is written, so a secret reaches no log even when a whole config or
 * request object is logged by mistake.
 */
const REDACTED_PATHS = [
  'password',
  'secret',
  'token',
  'authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'config.*.password',
];

export interface LoggerSettings {
  level: string;
  /** Role or component name stamped on every line as `component`. */
  component?: string;
  /** Where lines go; standard output unless given (tests pass a stream). */
  destination?: pino.DestinationStream;
}

/**
 * Creates the structured JSON logger used by every role.
 *
 * ```ts
 * const log = createLogger({ level: 'info', component: 'gateway' });
 * log.info({ agentId, samples: 12 }, 'batch accepted');
 * ```
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: settings.component ? { component: settings.component } : {},
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that drops everything; for tests that do not read logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
