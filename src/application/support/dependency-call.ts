import { AppError } from '../../errors';

/**
 * Awaits a call into a port. A failure that is not a deliberate AppError (a dropped connection, a timeout)
 * becomes SERVICE_UNAVAILABLE, so the caller fails closed with a retryable answer; the cause is kept for
 * the log.
 */
export async function orUnavailable<T>(call: Promise<T>, what: string): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('SERVICE_UNAVAILABLE', `${what} failed`, undefined, { cause: error });
  }
}

/** Resolves or rejects like `call`, but rejects after `ms` if it has not settled by then. */
export function withTimeout<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}
