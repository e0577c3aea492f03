import type { Campaign } from '../../domain/campaign';
import type { CampaignCache } from '../../ports/campaign-cache.port';
import type { CampaignStore } from '../../ports/campaign-store.port';

interface Entry<T> {
  value: Promise<T>;
  expiresAt: number;
  /** The value once the read has answered (for peek). */
  settled?: { value: T };
}

/**
 * Campaign definitions cached in memory for `ttlMs` on the request path: a burst reads them once a
 * second instead of once a login. Concurrent misses share one database read. Safe because nothing that
 * guards the promise is read from here: the limit and the paused flag are read by the claim script from
 * Redis on every claim. What a cached definition can lag on (name, window, voucher terms) lags by at most
 * `ttlMs`, or not at all in the process that made the change (it calls invalidate).
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
    if (cached !== undefined && cached.expiresAt > this.now()) return cached.value;
    const entry = this.remember(this.store.findById(id), () => this.byId.delete(id));
    this.byId.set(id, entry);
    if (this.byId.size > 10_000) this.byId.delete(this.byId.keys().next().value as string); // bounded
    return entry.value;
  }

  peek(id: string): Campaign | null | undefined {
    const cached = this.byId.get(id);
    return cached !== undefined && cached.expiresAt > this.now() ? cached.settled?.value : undefined;
  }

  listRunning(now: Date): Promise<Campaign[]> {
    if (this.running !== null && this.running.expiresAt > this.now()) {
      // Filtered again at `now`: a campaign that ended since it was read is not served as running.
      return this.running.value.then((campaigns) => campaigns.filter((c) => c.endsAt === null || now < c.endsAt));
    }
    this.running = this.remember(this.store.listRunning(now), () => {
      this.running = null;
    });
    return this.running.value;
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

  /** A failed read is not cached: the next caller tries again. */
  private remember<T>(value: Promise<T>, forget: () => void): Entry<T> {
    const entry: Entry<T> = { value, expiresAt: this.now() + this.ttlMs };
    value.then((settled) => (entry.settled = { value: settled }), forget);
    return entry;
  }
}
