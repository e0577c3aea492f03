import { randomUUID } from 'node:crypto';

import type { RedisClient } from './scripts';

/**
 * A key that exists as long as Redis keeps its data: written once, never expiring, never deleted by us.
 * Finding it missing means Redis lost everything (FLUSHALL, a restart without persistence, a failover to
 * an empty replica), and with it the queued jobs and the job schedulers.
 */
export class RedisEpoch {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
  ) {
    this.key = `${keyPrefix}:epoch`;
  }

  /** True when the epoch key is there. */
  async intact(): Promise<boolean> {
    return (await this.redis.exists(this.key)) === 1;
  }

  /** Writes a new epoch if none exists. */
  async mark(): Promise<void> {
    await this.redis.set(this.key, `${new Date().toISOString()} ${randomUUID()}`, 'NX');
  }
}
