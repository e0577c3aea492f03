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

/**
 * Resolves or rejects like `call`, but rejects after `ms` if it has not settled by then. An answer that had
 * arrived in time but was not yet read counts as in time: when the timer fires (possibly late, at the end
 * of a long turn of the event loop), the pending I/O is read first (setImmediate runs after the poll phase)
 * and only a call still unsettled then is rejected. Without that, a burst that stalls the loop for longer
 * than `ms` times out calls whose replies sit unread in the socket.
 */
export function withTimeout<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (!settled) reject(new Error(`${what} took longer than ${ms} ms`));
      });
    }, ms);
    call.then(
      (value) => {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
