/** Structured logging: one line per event, fields first (pino's call shape). */
export interface Logger {
  /** Something worth knowing happened. */
  info(fields: Record<string, unknown>, message: string): void;
  /** Something went wrong and was handled. */
  warn(fields: Record<string, unknown>, message: string): void;
  /** Something went wrong and was not handled as hoped. */
  error(fields: Record<string, unknown>, message: string): void;
}
