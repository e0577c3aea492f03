import type { Campaign } from '../../domain/campaign';
import type { CampaignCache } from '../../ports/campaign-cache.port';
import type { CampaignStore } from '../../ports/campaign-store.port';

interface Entry<T> {
  value: Promise<T>;
  /** When the read began: the value is served until `readAt + ttlMs`, and read again from half way. */
  readAt: number;
  expiresAt: number;
  /** The value once the read has answered (for peek). */
  settled?: { value: T };
  /** A read ahead of expiry is under way. */
  refreshing?: boolean;
}

/**
 * Campaign definitions cached in memory for `ttlMs` on the request path: a burst reads them about twice a
 * second instead of once a login. Concurrent misses share one database read. Safe because nothing that
 * guards the promise is read from here: the limit and the paused flag are read by the claim script from
 * Redis on every claim. What a cached definition can lag on (name, window, voucher terms) lags by at most
 * `ttlMs` from the moment its read began, or not at all in the process that made the change (it calls
 * invalidate).
 *
 * Read ahead: a request that finds an answered entry past half its time-to-live starts one read in the
 * background and is served the entry it found, which the new read replaces when it answers (if nothing
 * invalidated it meanwhile). A busy campaign's entry is so renewed before it expires, and its logins never
 * wait on a database read: otherwise every login arriving while the read is under way waits for it, once a
 * second, and under a burst, with the database busy writing participations, that wait is its slowest
 * answers. A failed read ahead changes nothing: the entry expires when it would have.
 */
export class CachedCampaignStore implements CampaignStore, CampaignCache {
  private readonly byId = new Map<string, Entry<Campaign | null>>();
  private running: Entry<Campaign[]> | null = null;

  constructor(
    private readonly store: CampaignStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  findById(id: string): Promise<Campaign | null> {
    const cached = this.byId.get(id);
    if (cached !== undefined && this.fresh(cached)) {
      this.readAheadById(id, cached);
      return cached.value;
    }
    const entry = this.remember(this.store.findById(id), () => this.byId.get(id) === entry && this.byId.delete(id));
    this.byId.set(id, entry);
    if (this.byId.size > 10_000) this.byId.delete(this.byId.keys().next().value as string); // bounded
    return entry.value;
  }

  peek(id: string): Campaign | null | undefined {
    const cached = this.byId.get(id);
    if (cached === undefined || !this.fresh(cached)) return undefined;
    this.readAheadById(id, cached);
    return cached.settled?.value;
  }

  listRunning(now: Date): Promise<Campaign[]> {
    const cached = this.running;
    if (cached !== null && this.fresh(cached)) {
      this.readAhead(
        cached,
        () => this.store.listRunning(now),
        (entry) => this.running === cached && (this.running = entry),
      );
      // Filtered again at `now`: a campaign that ended since it was read is not served as running.
      return cached.value.then((campaigns) => campaigns.filter((c) => c.endsAt === null || now < c.endsAt));
    }
    const entry = this.remember(this.store.listRunning(now), () => {
      if (this.running === entry) this.running = null;
    });
    this.running = entry;
    return entry.value;
  }

  list(): Promise<Campaign[]> {
    return this.store.list();
  }

  async save(campaign: Campaign, expectedVersion: number | null): Promise<'saved' | 'conflict'> {
    const result = await this.store.save(campaign, expectedVersion);
    this.invalidate();
    return result;
  }

  /** Forgets everything cached (after an operator's change in this process). */
  invalidate(): void {
    this.byId.clear();
    this.running = null;
  }

  /** readAhead for a campaign by id: its answer replaces the entry only while that entry is still cached. */
  private readAheadById(id: string, cached: Entry<Campaign | null>): void {
    this.readAhead(
      cached,
      () => this.store.findById(id),
      (entry) => this.byId.get(id) === cached && this.byId.set(id, entry),
    );
  }

  private fresh(entry: Entry<unknown>): boolean {
    return entry.expiresAt > this.now();
  }

  /**
   * Past half its time-to-live, an answered entry is read again in the background, once at a time;
   * `install` puts the answer in its place only if the entry is still the one in use (not invalidated,
   * not replaced).
   */
  private readAhead<T>(entry: Entry<T>, read: () => Promise<T>, install: (next: Entry<T>) => unknown): void {
    if (entry.settled === undefined || entry.refreshing === true) return;
    if (this.now() < entry.readAt + this.ttlMs / 2) return;
    entry.refreshing = true;
    const next = this.remember(read(), () => (entry.refreshing = false));
    next.value.then(
      () => install(next),
      () => {},
    );
  }

  /** A failed read is not cached: the next caller tries again. */
  private remember<T>(value: Promise<T>, forget: () => void): Entry<T> {
    const readAt = this.now();
    const entry: Entry<T> = { value, readAt, expiresAt: readAt + this.ttlMs };
    value.then((settled) => (entry.settled = { value: settled }), forget);
    return entry;
  }
}
