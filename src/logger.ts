import pino, { type Logger as PinoLogger } from 'pino';

/**
 * Structured JSON logs, one line per event. Secrets never reach the log: request bodies are not logged,
 * and these paths are censored wherever they appear.
 */
export function createLogger(level: string, name: string): PinoLogger {
  return pino({
    name,
    level,
    base: { service: 'promotion-service', component: name },
    redact: {
      paths: [
        'password',
        '*.password',
        'authorization',
        '*.authorization',
        'headers.authorization',
        '*.headers.authorization',
      ],
      censor: '[redacted]',
    },
    serializers: { err: pino.stdSerializers.err },
  });
}
