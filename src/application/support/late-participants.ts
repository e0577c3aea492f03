import type { Logger } from '../../ports/logger.port';
import type { ParticipationStore } from '../../ports/participation-store.port';

interface Entry {
  campaignId: string;
  userId: string;
  at: Date;
}

export interface LateParticipantsOptions {
  /** Entries written per round trip. */
  batchSize: number;
  /**
   * How long an entry waits in memory before it is written, however many join it: the first login of a
   * burst that wins nothing starts the clock, and the database is left to that burst's winners until it
   * runs out. Then everything buffered is written, a batch at a time, one after another.
   */
  flushIntervalMs: number;
  /**
   * Beyond this many entries in memory (buffered or in batches queued behind a slow write) new ones are
   * dropped (and counted), so memory stays bounded whatever the database does.
   */
  maxBuffered: number;
}

/**
 * Logins that win nothing (full, paused, not active) are recorded off the request path, in batches: a
 * 100,000-user burst then costs a few hundred database writes instead of one per request, and none of them
 * stands in front of a winner's. These records are for statistics only; no promise depends on them.
 */
export class LateParticipants {
  private buffer: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  /** Entries held in memory: buffered, plus in batches waiting for (or in) their write. */
  private pending = 0;
  private dropped = 0;

  constructor(
    private readonly store: ParticipationStore,
    private readonly logger: Logger,
    private readonly options: LateParticipantsOptions = { batchSize: 500, flushIntervalMs: 1000, maxBuffered: 100_000 },
  ) {}

  add(campaignId: string, userId: string, at: Date): void {
    if (this.pending >= this.options.maxBuffered) {
      this.dropped += 1;
      return;
    }
    this.pending += 1;
    this.buffer.push({ campaignId, userId, at });
    this.timer ??= setTimeout(() => this.startFlush(), this.options.flushIntervalMs).unref();
  }

  /** Writes everything buffered so far; used at shutdown and by tests. */
  async flush(): Promise<void> {
    this.startFlush();
    await this.inFlight;
    if (this.buffer.length > 0) await this.flush();
  }

  private startFlush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer.splice(0, this.options.batchSize);
    if (batch.length === 0) return;
    this.inFlight = this.inFlight.then(() => this.write(batch));
  }

  private async write(batch: Entry[]): Promise<void> {
    try {
      const created = await this.store.recordMany(batch);
      this.logger.info({ batch: batch.length, created, dropped: this.dropped }, 'late participants recorded');
    } catch (error) {
      this.logger.warn({ err: error, batch: batch.length }, 'late participants not recorded');
    }
    this.pending -= batch.length;
    this.dropped = 0;
    if (this.buffer.length > 0) this.timer ??= setTimeout(() => this.startFlush(), 0).unref();
  }
}
