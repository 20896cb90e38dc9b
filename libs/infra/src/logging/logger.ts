import { pino, type DestinationStream, type Logger } from 'pino';
import { currentLogContext } from './log-context.js';

export type { Logger } from 'pino';

/**
 * Paths that may carry secrets wherever a log call puts them: request headers, bodies
 * with kubeconfigs or webhook secrets, tokens. Redaction is by path, so the rest of the
 * object stays readable; the test in test/logging holds every path to it.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-gitlab-token"]',
  'headers.authorization',
  'headers["x-gitlab-token"]',
  'headers["x-hub-signature-256"]',
  'authorization',
  'kubeconfig',
  'token',
  'secret',
  'password',
  'webhookSecret',
  'body.kubeconfig',
  'body.secret',
  'body.token',
  '*.kubeconfig',
  '*.token',
  '*.secret',
  '*.password',
  '*.webhookSecret',
  '*.authorization',
];

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where lines go; stdout when omitted (tests capture lines with their own stream). */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'circle',
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: options.name ?? 'circle' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // The correlation id (and whatever else the current request or event put there)
      // on every line written while serving it.
      mixin: () => currentLogContext() ?? {},
    },
    options.destination,
  );
}
