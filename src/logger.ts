import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

/** Keys whose values never reach a log line, wherever they sit in the logged object. */
const SECRET_PATHS = [
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'cookie',
  '*.cookie',
];

/**
 * Structured JSON logs, one line per event. Secrets never reach the log: request bodies and headers are
 * not logged, the keys above are censored wherever they appear, and URLs are logged through redactUrl.
 */
export function createLogger(level: string, name: string, destination?: DestinationStream): PinoLogger {
  const options = {
    name,
    level,
    base: { service: 'promotion-service', component: name },
    redact: { paths: SECRET_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** A connection URL fit for a log line: user name kept, password replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
