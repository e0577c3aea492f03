import type { Logger } from '../../ports/logger.port';
import { AppError } from '../../errors';

export interface Deadline {
  ms: number;
  logger: Logger;
}

/**
 * Answers within the deadline: past it, 503 SERVICE_UNAVAILABLE (the client retries after Retry-After),
 * while the work goes on in the background. Every step of a login is safe to repeat, so a claim that
 * completes after its answer is found by the next try: the same slot, answered `already_won`.
 * One timer and one promise per call: this wraps every login.
 */
export function withinDeadline<T>(work: Promise<T>, deadline: Deadline, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      work.catch((error: unknown) => deadline.logger.warn({ err: error, what }, 'late work failed'));
      reject(new AppError('SERVICE_UNAVAILABLE', `${what} took longer than ${deadline.ms} ms`));
    }, deadline.ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
