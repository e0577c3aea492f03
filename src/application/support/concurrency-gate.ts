import { AppError } from '../../errors';

export interface GateLimits {
  /** Tasks running at once. */
  maxRunning: number;
  /** Tasks waiting in line at most; beyond, refused at once. */
  maxWaiting: number;
  /** Longest a task may wait for its turn: one whose turn is not expected sooner is refused at once,
   *  and one still waiting when it passes gives up. Infinity: no bound by time. */
  maxWaitMs: number;
}

interface Waiter {
  resolve: () => void;
  timer: NodeJS.Timeout | undefined;
}

/** How strongly the running average of task durations follows the latest one. */
const SMOOTHING = 0.2;

/**
 * At most `maxRunning` tasks at once; more wait in line, bounded both by count and by time; beyond either
 * bound a task is refused with SERVER_BUSY and a Retry-After sized to the line ahead of it. Guards
 * password checks: each holds a thread of libuv's small pool for tens of milliseconds, so a flood must be
 * shed at the door, before it costs a database lookup, and no caller waits for seconds on end.
 */
export class ConcurrencyGate {
  private running = 0;
  private readonly line: Waiter[] = [];
  /** A running average of how long a task takes, in ms (for the expected wait). */
  private averageMs = 50;

  constructor(private readonly limits: GateLimits) {}

  /** The refusal a task arriving now would get (without taking a place), or null when it would get in line. */
  refusalNow(): AppError | null {
    if (this.running < this.limits.maxRunning) return null;
    const expectedWaitMs = this.expectedWaitMs(this.line.length + 1);
    if (this.line.length >= this.limits.maxWaiting || expectedWaitMs > this.limits.maxWaitMs) {
      return busy(expectedWaitMs);
    }
    return null;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limits.maxRunning) {
      this.running += 1;
    } else {
      const refusal = this.refusalNow();
      if (refusal !== null) throw refusal;
      await this.waitInLine();
    }
    const started = Date.now();
    try {
      return await task();
    } finally {
      this.averageMs += SMOOTHING * (Date.now() - started - this.averageMs);
      const next = this.line.shift();
      if (next === undefined) {
        this.running -= 1;
      } else {
        clearTimeout(next.timer);
        next.resolve(); // the place passes straight to the next in line
      }
    }
  }

  private waitInLine(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, timer: undefined };
      if (Number.isFinite(this.limits.maxWaitMs)) {
        waiter.timer = setTimeout(() => {
          const at = this.line.indexOf(waiter);
          if (at >= 0) this.line.splice(at, 1);
          reject(busy(this.expectedWaitMs(this.line.length + 1)));
        }, this.limits.maxWaitMs);
      }
      this.line.push(waiter);
    });
  }

  /** How long the `position`-th in line is expected to wait, in ms. */
  private expectedWaitMs(position: number): number {
    return (position * this.averageMs) / this.limits.maxRunning;
  }
}

function busy(expectedWaitMs: number): AppError {
  const retryAfterSeconds = Math.min(30, Math.max(1, Math.ceil(expectedWaitMs / 1_000)));
  return new AppError('SERVER_BUSY', undefined, { retryAfterSeconds });
}
