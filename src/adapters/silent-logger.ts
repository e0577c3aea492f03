import type { Logger } from '../ports/logger.port';

/** A logger that writes nothing (scripts that print their own output, tests). */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
