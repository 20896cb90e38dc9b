import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that may carry secrets anywhere a log call puts them: request headers, bodies
 * with kubeconfigs or webhook secrets, and tokens. Redaction is by path so that the
 * rest of the object stays readable.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-gitlab-token"]',
  'headers.authorization',
  '*.kubeconfig',
  '*.token',
  '*.secret',
  '*.password',
  'kubeconfig',
  'token',
  'secret',
];

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'circle',
    level: options.level ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { service: options.name ?? 'circle' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
