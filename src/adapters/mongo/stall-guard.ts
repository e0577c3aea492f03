import { MongoBulkWriteError, MongoServerError } from 'mongodb';

/** A database call given up on because the database made no progress for the stall bound. */
export class DatabaseStalledError extends Error {
  constructor(stallMs: number) {
    super(`the database answered nothing for ${stallMs} ms`);
    this.name = 'DatabaseStalledError';
  }
}

interface Pending {
  startedAt: number;
  reject: (error: Error) => void;
}

/**
 * Fails the request path's database calls when the database stops answering, not when it is merely busy.
 *
 * A fixed bound on each wait cannot tell the two apart: in a burst's first wave on a busy machine a call
 * waits its turn for a pooled connection past 400 ms while the database answers hundreds of others, and
 * when the event loop runs long, the driver's timer fires before the answer already in the socket is read.
 * Both made logins answer 503 from a database that was answering (measured: 650 of 100,000 logins at
 * 10,000 connections, all of them `Timed out while checking out a connection`).
 *
 * So the driver is given patient waits, and this guard keeps the promise of a quick 503: a call still
 * pending `stallMs` after it began is rejected if no guarded call has succeeded for `stallMs` either: a
 * database that is down or frozen answers nothing, so every call on it fails within about `stallMs` (plus
 * one check interval). A call that ends in an answer from the database (a result, or a refusal such as a
 * duplicate key) is progress; a network error or a timeout is not. The decision is taken after the
 * event loop has read what arrived (setImmediate after the timer), so a long turn of the loop is not
 * mistaken for silence.
 */
export class StallGuard {
  private lastProgressAt: number;
  private readonly pending = new Set<Pending>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stallMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastProgressAt = now();
  }

  /** Settles as `call` does, or rejects with DatabaseStalledError once the database has stalled. */
  guard<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { startedAt: this.now(), reject };
      this.pending.add(entry);
      this.schedule();
      call.then(
        (value) => {
          this.progress();
          this.pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          if (isAnswerFromDatabase(error)) this.progress();
          this.pending.delete(entry);
          reject(error);
        },
      );
    });
  }

  /** The store, each of its methods that returns a promise guarded. */
  wrap<S extends object>(store: S): S {
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result instanceof Promise ? this.guard(result) : result;
        };
      },
    });
  }

  /** Calls waiting now (for tests and metrics). */
  waiting(): number {
    return this.pending.size;
  }

  private progress(): void {
    this.lastProgressAt = this.now();
  }

  /** One timer for all pending calls, while there are any. */
  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => setImmediate(() => this.check()), this.stallMs / 4);
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    const now = this.now();
    if (now - this.lastProgressAt >= this.stallMs) {
      for (const entry of this.pending) {
        if (now - entry.startedAt < this.stallMs) continue;
        this.pending.delete(entry);
        entry.reject(new DatabaseStalledError(this.stallMs));
      }
    }
    if (this.pending.size > 0) this.schedule();
  }
}

/**
 * An error the database itself answered with (a refusal such as a duplicate key). A bulk write error with no
 * write errors is how a timeout or a lost connection arrives in an insertMany: no answer.
 */
function isAnswerFromDatabase(error: unknown): boolean {
  if (error instanceof MongoBulkWriteError) {
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    return writeErrors.length > 0;
  }
  return error instanceof MongoServerError;
}
