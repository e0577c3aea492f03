import type { Campaign } from '../../domain/campaign';
import type { CampaignStore } from '../../ports/campaign-store.port';
import { SharedRounds } from './shared-rounds';

/**
 * Fresh campaign reads, shared. Every findById is answered by a database read that began after the call
 * and answered before the call returns, which is all a read of its own gives: nothing is cached, so the
 * claim's checks (paused, window, limit, run) see what they saw before. What changes is how many reads
 * the database serves. A call that finds a read of the same campaign under way cannot use it (it began
 * before the call); it joins the one read that begins when that one answers, with every other call made
 * meanwhile. So under a burst a campaign has at most one read under way and one waiting in each process,
 * however many winners need it, instead of two reads a winner while the database is busiest; when calls
 * come one at a time, each is a read of its own, at once.
 *
 * Each caller gets its own copy of the campaign. A failed read fails every call it answers (each one's
 * answer is then 503, as with a read of its own); the next call begins a new read.
 */
export class SharedFreshCampaignReads implements CampaignStore {
  /** One read per round, whatever the number of calls in it. */
  private readonly reads: SharedRounds<undefined, Campaign | null>;

  constructor(private readonly store: CampaignStore) {
    this.reads = new SharedRounds(async (id, calls) => {
      const campaign = await store.findById(id);
      return calls.map(() => campaign);
    });
  }

  async findById(id: string): Promise<Campaign | null> {
    const campaign = await this.reads.call(id, undefined);
    return campaign === null ? null : { ...campaign };
  }

  listRunning(now: Date): Promise<Campaign[]> {
    return this.store.listRunning(now);
  }

  list(): Promise<Campaign[]> {
    return this.store.list();
  }

  save(campaign: Campaign, expectedVersion: number | null): Promise<'saved' | 'conflict'> {
    return this.store.save(campaign, expectedVersion);
  }
}
