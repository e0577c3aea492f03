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
 */
export async function withinDeadline<T>(work: Promise<T>, deadline: Deadline, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      work.catch((error: unknown) => deadline.logger.warn({ err: error, what }, 'late work failed'));
      reject(new AppError('SERVICE_UNAVAILABLE', `${what} took longer than ${deadline.ms} ms`));
    }, deadline.ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
