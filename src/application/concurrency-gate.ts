import { AppError } from '../errors';

/**
 * At most `maxRunning` tasks at once, at most `maxWaiting` more in line; beyond that a task is refused
 * at once with SERVER_BUSY. Guards password checks: each holds a thread of libuv's small pool for tens of
 * milliseconds, so a flood must be shed at the door, before it costs a database lookup.
 */
export class ConcurrencyGate {
  private running = 0;
  private readonly line: (() => void)[] = [];

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  /** Runs the task only if a place is free right now (never waits in line); null when it is not. */
  tryRun<T>(task: () => Promise<T>): Promise<T> | null {
    return this.running < this.maxRunning ? this.run(task) : null;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxRunning) {
      if (this.line.length >= this.maxWaiting) throw new AppError('SERVER_BUSY');
      await new Promise<void>((resolve) => this.line.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.line.shift();
      if (next === undefined) this.running -= 1;
      else next(); // the place passes straight to the next in line
    }
  }
}
