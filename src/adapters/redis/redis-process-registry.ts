import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import type { Logger } from '../../ports/logger.port';
import type { RedisClient } from './scripts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export interface ProcessRegistryOptions {
  keyPrefix: string;
  /** How often this process says it is alive (and reads how many others are). */
  heartbeatMs: number;
  logger: Logger;
}

/**
 * Which API processes are alive, in Redis: each one writes a heartbeat into a sorted set every
 * `heartbeatMs` and counts the members heard from within three heartbeats. The local rate limiters split
 * each limit by that count. A process only counts itself settled (and reports ready) once it has been in
 * the set for two heartbeats, so every peer has counted it before a load balancer sends it a request.
 * A rise in the count is believed at once (shares shrink), a fall only once it has lasted three
 * heartbeats, as long as a silent member stays counted: when Redis loses the set (a FLUSHALL, a restart
 * without data) the first process to beat again would otherwise count itself alone for a heartbeat and
 * admit a whole limit while its peers still admitted their shares (an outside attack measured 15 of 10).
 */
export class RedisProcessRegistry {
  private readonly key: string;
  private readonly member = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  /** The counts of the last three heartbeats, newest last. */
  private counts: number[] = [1];
  /** The largest of them: what processes() answers, worked out once a heartbeat, not once a request. */
  private count = 1;
  private firstBeat: number | null = null;
  private beating = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: ProcessRegistryOptions,
  ) {
    this.key = `${options.keyPrefix}:api-processes`;
    this.timer = setInterval(() => void this.beat(), options.heartbeatMs);
    this.timer.unref();
  }

  /** Joins (the first heartbeat) and waits for it. */
  async start(): Promise<void> {
    await this.beat();
  }

  /** API processes alive, this one included (at least 1). */
  processes(): number {
    return this.count;
  }

  /** True once every peer has had a heartbeat to count this process in. */
  settled(): boolean {
    return this.firstBeat !== null && Date.now() - this.firstBeat >= 2 * this.options.heartbeatMs;
  }

  /** Leaves the set (peers count it out at once), waiting at most half a second for Redis. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.race([this.redis.zrem(this.key, this.member).catch(() => 0), sleep(500)]);
  }

  private async beat(): Promise<void> {
    if (this.beating) return; // the previous heartbeat still waits for Redis
    this.beating = true;
    try {
      await this.heartbeat();
    } finally {
      this.beating = false;
    }
  }

  private async heartbeat(): Promise<void> {
    const now = Date.now();
    try {
      const [, , [, count] = []] =
        (await this.redis
          .multi()
          .zadd(this.key, now, this.member)
          .zremrangebyscore(this.key, '-inf', now - 3 * this.options.heartbeatMs)
          .zcard(this.key)
          .exec()) ?? [];
      this.counts = [...this.counts, Math.max(1, Number(count ?? 1))].slice(-3);
      this.count = Math.max(...this.counts);
      this.firstBeat ??= now;
    } catch (error) {
      // The last count stands: peers that cannot reach Redis cannot be counted in or out meanwhile.
      this.options.logger.warn({ err: error }, 'process registry heartbeat failed');
    }
  }
}
