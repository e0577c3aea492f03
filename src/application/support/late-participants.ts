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
 * Logins that win nothing (the campaign full or paused) are recorded off the request path, in batches: a
 * 100,000-user burst then costs a few hundred database writes instead of one per request, and none of them
 * stands in front of a winner's. These records are for statistics only; no promise depends on them. What
 * is lost, and when: entries past maxBuffered (counted and logged), a batch the database refuses at
 * shutdown (logged), and on a crash (SIGKILL) what was buffered, at most an interval's worth.
 */
export class LateParticipants {
  private buffer: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  /** Entries held in memory: buffered, plus in batches waiting for (or in) their write. */
  private pending = 0;
  private dropped = 0;
  /** Set once a flush ran out of time (shutdown): a batch failing after that is lost, not retried. */
  private givenUp = false;

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
    this.timer ??= setTimeout(() => this.startFlush(true), this.options.flushIntervalMs).unref();
  }

  /**
   * Writes everything buffered so far, now (at shutdown, and in tests). A batch the database does not take
   * is not kept for later, and past `withinMs` nothing more is waited for: shutdown must end. What is not
   * written is logged as lost, with its size.
   */
  async flush(withinMs = Number.POSITIVE_INFINITY): Promise<void> {
    let outOfTime = false;
    const writeAll = async (): Promise<void> => {
      await this.inFlight;
      while (this.buffer.length > 0 && !outOfTime) {
        this.startFlush(false);
        await this.inFlight;
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      if (Number.isFinite(withinMs)) timer = setTimeout(resolve, withinMs);
    });
    await Promise.race([writeAll(), deadline.then(() => (outOfTime = true))]);
    clearTimeout(timer);
    if (outOfTime && this.pending > 0) {
      this.givenUp = true;
      clearTimeout(this.timer);
      this.timer = undefined;
      // A batch still in its write may yet land; if it fails, it is logged as lost then (write()).
      this.logger.error(
        { lost: this.buffer.length, stillWriting: this.pending - this.buffer.length },
        'late participants not recorded in time: lost',
      );
      this.pending -= this.buffer.length;
      this.buffer = [];
    }
  }

  private startFlush(retryOnFailure: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer.splice(0, this.options.batchSize);
    if (batch.length === 0) return;
    this.inFlight = this.inFlight.then(() => this.write(batch, retryOnFailure));
  }

  /**
   * A batch the database does not take (down, slow, a lost connection) goes back to the head of the line
   * and is tried again after the interval: a retry is safe (duplicates are ignored), and memory stays
   * bounded by maxBuffered, which counts it.
   */
  private async write(batch: Entry[], retryOnFailure: boolean): Promise<void> {
    let nextInMs = 0;
    try {
      const created = await this.store.recordMany(batch);
      this.pending -= batch.length;
      this.logger.info({ batch: batch.length, created, dropped: this.dropped }, 'late participants recorded');
      this.dropped = 0;
    } catch (error) {
      if (retryOnFailure && !this.givenUp) {
        this.buffer.unshift(...batch);
        nextInMs = this.options.flushIntervalMs;
        this.logger.warn(
          { err: error, batch: batch.length, buffered: this.pending, dropped: this.dropped },
          'late participants not recorded yet: trying again',
        );
      } else {
        this.pending -= batch.length;
        this.logger.error({ err: error, lost: batch.length }, 'late participants not recorded: lost');
      }
    }
    if (this.buffer.length > 0) this.timer ??= setTimeout(() => this.startFlush(true), nextInMs).unref();
  }
}
