import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

interface Window {
  count: number;
  endsAt: number;
}

/**
 * A limit of `points` per `durationMs` per key, enforced across every API process without asking Redis on
 * each request: each of the N live processes admits at most ⌊points / N⌋ of a key's attempts per window on
 * its own (N from the process registry). So the processes together never admit more than `points`; when
 * requests spread evenly over them (node:cluster's round robin, a load balancer's) the whole limit is
 * reachable, and a key whose requests all reach one process gets its share. When the limit is smaller
 * than the number of processes (a share of 0), the shared count in Redis decides, as before.
 *
 * Answers like rate-limiter-flexible's limiters: consume resolves when admitted and rejects with a
 * RateLimiterRes (msBeforeNext) when not.
 */
export class LocalShareLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly points: number,
    private readonly durationMs: number,
    private readonly processes: () => number,
    private readonly shared: RateLimiterAbstract,
    private readonly now: () => number = Date.now,
  ) {
    // Windows that ended are dropped, so memory follows the keys of the last window only.
    this.sweeper = setInterval(() => this.sweep(), Math.max(1_000, durationMs / 2));
    this.sweeper.unref();
  }

  async consume(key: string): Promise<void> {
    if (!this.decidesLocally()) {
      await this.shared.consume(key);
      return;
    }
    const refusal = this.take(key);
    if (refusal !== null) throw refusal;
  }

  /** This process's share is at least one attempt: take() decides, no shared count is asked. */
  decidesLocally(): boolean {
    return this.share() >= 1;
  }

  /**
   * Counts an attempt against this process's share, here and now: null when admitted, the refusal (as
   * consume would reject) when not. Only when decidesLocally().
   */
  take(key: string): RateLimiterRes | null {
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      window = { count: 0, endsAt: now + this.durationMs };
      this.windows.set(key, window);
    }
    if (window.count >= this.share()) return new RateLimiterRes(0, window.endsAt - now, window.count, false);
    window.count += 1;
    return null;
  }

  /** Keys with a window open (for tests and memory accounting). */
  size(): number {
    return this.windows.size;
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private share(): number {
    return processShare(this.points, this.processes());
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}

/** One process's share of a limit split among `processes` live processes: together, never more than it. */
export function processShare(points: number, processes: number): number {
  return Math.floor(points / Math.max(1, processes));
}
