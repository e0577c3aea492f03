import type { Campaign } from '../../domain/campaign';
import type { CampaignStore } from '../../ports/campaign-store.port';

interface Reads {
  /** The read under way: it began before the calls that find it, so it answers none of them. */
  current: Promise<Campaign | null>;
  /** The read that begins when `current` has answered, shared by every call made meanwhile. */
  next?: Promise<Campaign | null>;
}

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
  private readonly reads = new Map<string, Reads>();

  constructor(private readonly store: CampaignStore) {}

  async findById(id: string): Promise<Campaign | null> {
    const under = this.reads.get(id);
    const read = under === undefined ? this.begin(id) : (under.next ??= this.after(under.current, id));
    const campaign = await read;
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

  /** Begins a read now: calls made from here on join its successor, until it has answered. */
  private begin(id: string): Promise<Campaign | null> {
    const reads: Reads = { current: this.store.findById(id) };
    this.reads.set(id, reads);
    const done = () => {
      if (this.reads.get(id) === reads && reads.next === undefined) this.reads.delete(id);
    };
    reads.current.then(done, done);
    return reads.current;
  }

  private async after(current: Promise<Campaign | null>, id: string): Promise<Campaign | null> {
    await current.then(
      () => undefined,
      () => undefined,
    );
    return this.begin(id);
  }
}
