import type { Campaign } from '../../../src/domain/campaign';
import type { AuditEntry, AuditLog } from '../../../src/ports/audit-log.port';
import type { Winner } from '../../../src/domain/slot';
import type { Voucher } from '../../../src/domain/voucher';
import type { CampaignStore } from '../../../src/ports/campaign-store.port';
import type { ParticipationStore } from '../../../src/ports/participation-store.port';
import type { UserCredentials, UserDirectory } from '../../../src/ports/user-directory.port';
import type { LoginAttempt, LoginThrottle } from '../../../src/ports/login-throttle.port';
import type { ReconcileTrigger } from '../../../src/ports/reconcile-trigger.port';
import type { RedeliveryResult, VoucherRedelivery } from '../../../src/ports/voucher-redelivery.port';
import type { VoucherQueue } from '../../../src/ports/voucher-queue.port';
import type { VoucherMatch, VoucherStore } from '../../../src/ports/voucher-store.port';
import type { RecordWinnerResult, WinnerRecordKey, WinnerStore } from '../../../src/ports/winner-store.port';

/**
 * In-memory stand-ins for the database and queue ports, for unit tests of the use cases. Each keeps the
 * uniqueness rules of the real adapter (and passes the same contract suite).
 */

const key = (campaignId: string, userId: string): string => `${campaignId}\u0000${userId}`;
const jobKey = (campaignId: string, userId: string, run: number): string =>
  run === 0 ? key(campaignId, userId) : `${key(campaignId, userId)}\u0000${run}`;

/** The very record `key` names (campaign, user, run, slot and the time it was won). */
function isRecord(w: Winner, key: WinnerRecordKey): boolean {
  return (
    w.campaignId === key.campaignId &&
    w.userId === key.userId &&
    w.run === key.run &&
    w.slot === key.slot &&
    w.createdAt.getTime() === key.createdAt.getTime()
  );
}

function removeWhere<T>(items: T[], matches: (item: T) => boolean): number {
  const before = items.length;
  const kept = items.filter((item) => !matches(item));
  items.splice(0, items.length, ...kept);
  return before - kept.length;
}

export class InMemoryParticipationStore implements ParticipationStore {
  readonly entries = new Map<string, Date>();
  private readonly resets = new Map<string, number>();

  async record(campaignId: string, userId: string, at: Date): Promise<'first' | 'repeat'> {
    return this.add(campaignId, userId, at);
  }

  async recordMany(entries: readonly { campaignId: string; userId: string; at: Date }[]): Promise<number> {
    const stale = new Set<string>();
    const fresh = entries.filter(({ campaignId, at }) => {
      const kept = at.getTime() >= (this.resets.get(campaignId) ?? 0);
      if (!kept) stale.add(campaignId);
      return kept;
    });
    for (const campaignId of stale) {
      const resetAt = this.resets.get(campaignId) ?? 0;
      for (const [k, at] of this.entries)
        if (k.startsWith(`${campaignId}\u0000`) && at.getTime() < resetAt) this.entries.delete(k);
    }
    return fresh.filter(({ campaignId, userId, at }) => this.add(campaignId, userId, at) === 'first').length;
  }

  private add(campaignId: string, userId: string, at: Date): 'first' | 'repeat' {
    if (this.entries.has(key(campaignId, userId))) return 'repeat';
    this.entries.set(key(campaignId, userId), at);
    return 'first';
  }

  async count(campaignId: string): Promise<number> {
    return [...this.entries.keys()].filter((k) => k.startsWith(`${campaignId}\u0000`)).length;
  }

  async deleteCampaign(campaignId: string, at: Date): Promise<number> {
    this.resets.set(campaignId, Math.max(this.resets.get(campaignId) ?? 0, at.getTime()));
    const keys = [...this.entries.keys()].filter((k) => k.startsWith(`${campaignId}\u0000`));
    for (const k of keys) this.entries.delete(k);
    return keys.length;
  }
}

export class InMemoryWinnerStore implements WinnerStore {
  readonly winners: Winner[] = [];

  async record(winner: Winner): Promise<RecordWinnerResult> {
    const existing = await this.find(winner.campaignId, winner.userId);
    if (existing !== null) return { kind: 'user_already_won', winner: existing };
    if (this.winners.some((w) => w.campaignId === winner.campaignId && w.slot === winner.slot))
      return { kind: 'slot_taken' };
    this.winners.push({ ...winner });
    return { kind: 'recorded' };
  }

  async find(campaignId: string, userId: string): Promise<Winner | null> {
    const found = this.winners.find((w) => w.campaignId === campaignId && w.userId === userId);
    return found === undefined ? null : { ...found };
  }

  async listByCampaign(campaignId: string): Promise<Winner[]> {
    return this.winners
      .filter((w) => w.campaignId === campaignId)
      .sort((a, b) => a.slot - b.slot)
      .map((w) => ({ ...w }));
  }

  async *streamByCampaign(campaignId: string, batchSize: number): AsyncIterable<Winner[]> {
    const all = await this.listByCampaign(campaignId);
    for (let start = 0; start < all.length; start += batchSize) yield all.slice(start, start + batchSize);
  }

  async listByUser(userId: string): Promise<Winner[]> {
    return this.winners
      .filter((w) => w.userId === userId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map((w) => ({ ...w }));
  }

  async maxSlot(campaignId: string): Promise<number> {
    return Math.max(0, ...this.winners.filter((w) => w.campaignId === campaignId).map((w) => w.slot));
  }

  async count(campaignId: string): Promise<number> {
    return this.winners.filter((w) => w.campaignId === campaignId).length;
  }

  async deleteOfRun(campaignId: string, userId: string, run: number): Promise<boolean> {
    return removeWhere(this.winners, (w) => w.campaignId === campaignId && w.userId === userId && w.run === run) === 1;
  }

  async settle(record: WinnerRecordKey): Promise<boolean> {
    const found = this.winners.find((w) => isRecord(w, record));
    if (found === undefined) return false;
    delete found.pending;
    return true;
  }

  async removePending(record: WinnerRecordKey): Promise<boolean> {
    return removeWhere(this.winners, (w) => isRecord(w, record) && w.pending === true) === 1;
  }

  async deleteCampaign(campaignId: string): Promise<number> {
    return removeWhere(this.winners, (w) => w.campaignId === campaignId);
  }
}

export class InMemoryVoucherStore implements VoucherStore {
  readonly vouchers: Voucher[] = [];

  async insert(voucher: Voucher): Promise<'created' | 'exists'> {
    if (this.vouchers.some((v) => v.campaignId === voucher.campaignId && v.userId === voucher.userId)) return 'exists';
    this.vouchers.push({ ...voucher });
    return 'created';
  }

  async insertMany(vouchers: readonly Voucher[]): Promise<('created' | 'exists')[]> {
    const outcomes: ('created' | 'exists')[] = [];
    for (const voucher of vouchers) outcomes.push(await this.insert(voucher));
    return outcomes;
  }

  async listByUser(userId: string): Promise<Voucher[]> {
    return this.vouchers
      .filter((v) => v.userId === userId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map((v) => ({ ...v }));
  }

  async findForUsers(campaignId: string, userIds: readonly string[]): Promise<Voucher[]> {
    const wanted = new Set(userIds);
    return this.vouchers.filter((v) => v.campaignId === campaignId && wanted.has(v.userId)).map((v) => ({ ...v }));
  }

  async heldByCampaign(campaignId: string): Promise<Map<string, Date>> {
    return new Map(
      this.vouchers.filter((v) => v.campaignId === campaignId).map((v) => [v.userId, new Date(v.expireDate)]),
    );
  }

  async count(campaignId: string): Promise<number> {
    return this.vouchers.filter((v) => v.campaignId === campaignId).length;
  }

  async deleteCampaign(campaignId: string): Promise<number> {
    return removeWhere(this.vouchers, (v) => v.campaignId === campaignId);
  }

  async deleteOne(campaignId: string, userId: string, only: VoucherMatch = {}): Promise<boolean> {
    const { expireDate, writtenNoLaterThan } = only;
    return (
      removeWhere(
        this.vouchers,
        (v) =>
          v.campaignId === campaignId &&
          v.userId === userId &&
          (expireDate === undefined || v.expireDate.getTime() === expireDate.getTime()) &&
          (writtenNoLaterThan === undefined || v.createdAt.getTime() <= writtenNoLaterThan.getTime()),
      ) === 1
    );
  }
}

export class InMemoryCampaignStore implements CampaignStore {
  readonly campaigns = new Map<string, Campaign>();

  async findById(id: string): Promise<Campaign | null> {
    const campaign = this.campaigns.get(id);
    return campaign === undefined ? null : { ...campaign };
  }

  async listRunning(now: Date): Promise<Campaign[]> {
    return [...this.campaigns.values()]
      .filter((c) => c.startsAt <= now && (c.endsAt === null || now < c.endsAt))
      .map((c) => ({ ...c }));
  }

  async list(): Promise<Campaign[]> {
    return [...this.campaigns.values()]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map((c) => ({ ...c }));
  }

  async save(campaign: Campaign, expectedVersion: number | null): Promise<'saved' | 'conflict'> {
    const stored = this.campaigns.get(campaign.id);
    if ((stored?.version ?? null) !== expectedVersion) return 'conflict';
    this.campaigns.set(campaign.id, { ...campaign });
    return 'saved';
  }
}

export class InMemoryUserDirectory implements UserDirectory {
  readonly users = new Map<string, UserCredentials>();
  private nextId = 1;

  async findByAccount(account: string): Promise<UserCredentials | null> {
    const user = this.users.get(account);
    return user === undefined ? null : { ...user };
  }

  async accountsOf(userIds: readonly string[]): Promise<Map<string, string>> {
    const wanted = new Set(userIds);
    return new Map([...this.users.values()].filter((u) => wanted.has(u.userId)).map((u) => [u.userId, u.account]));
  }

  async upsertMany(users: readonly { account: string; passwordHash: string }[]): Promise<number> {
    let created = 0;
    for (const { account, passwordHash } of users) {
      const existing = this.users.get(account);
      if (existing === undefined) created += 1;
      this.users.set(account, { account, passwordHash, userId: existing?.userId ?? `user-${this.nextId++}` });
    }
    return created;
  }

  async replacePasswordHash(userId: string, expectedHash: string, newHash: string): Promise<boolean> {
    const user = [...this.users.values()].find((u) => u.userId === userId);
    if (user === undefined || user.passwordHash !== expectedHash) return false;
    user.passwordHash = newHash;
    return true;
  }

  async samplePasswordHashes(limit: number): Promise<string[]> {
    return [...this.users.values()]
      .sort((a, b) => a.userId.localeCompare(b.userId))
      .slice(0, limit)
      .map((user) => user.passwordHash);
  }
}

/**
 * Records voucher requests; a request for the same (campaign, user, run) is kept once, as the job id does
 * (`requests` holds campaign NUL user, the run after a second NUL when it is not 0).
 * `processed` plays the worker: requests it has taken no longer count as in the queue.
 */
export class RecordingVoucherQueue implements VoucherQueue, VoucherRedelivery {
  readonly requests = new Set<string>();
  private readonly finished = new Set<string>();
  failWith: Error | null = null;

  async requestIssue(campaignId: string, userId: string, run: number): Promise<void> {
    if (this.failWith !== null) throw this.failWith;
    const request = jobKey(campaignId, userId, run);
    if (!this.finished.has(request)) this.requests.add(request); // a finished job is kept, as BullMQ keeps it
  }

  async redeliver(
    campaignId: string,
    userId: string,
    run: number,
    delivered: () => Promise<boolean>,
  ): Promise<RedeliveryResult> {
    const request = jobKey(campaignId, userId, run);
    if (this.requests.has(request)) return 'in_queue';
    if (this.finished.has(request) && (await delivered())) return 'delivered';
    this.finished.delete(request); // replaced
    await this.requestIssue(campaignId, userId, run);
    return 'added';
  }

  /** Empties the queue, as a worker that took every job would; the requests count as finished. */
  drain(): string[] {
    const taken = [...this.requests];
    for (const request of taken) this.finished.add(request);
    this.requests.clear();
    return taken;
  }
}

/**
 * Records every request (`requested`) and keeps the reconciliations they make as the BullMQ adapter does:
 * one waiting per campaign however often it is asked for; asked for while it runs, one more after it.
 * `take` and `finish` play the reconcile worker.
 */
export class RecordingReconcileTrigger implements ReconcileTrigger {
  readonly requested: string[] = [];
  private readonly waiting = new Set<string>();
  private readonly running = new Set<string>();
  /** Asked for while running: waits once that run finishes. */
  private readonly next = new Set<string>();

  async requestReconcile(campaignId: string): Promise<void> {
    this.requested.push(campaignId);
    if (this.running.has(campaignId)) this.next.add(campaignId);
    else this.waiting.add(campaignId);
  }

  /** Starts every waiting reconciliation; returns their campaigns, sorted. */
  take(): string[] {
    const taken = [...this.waiting].sort();
    this.waiting.clear();
    for (const campaignId of taken) this.running.add(campaignId);
    return taken;
  }

  finish(campaignIds: readonly string[]): void {
    for (const campaignId of campaignIds) {
      this.running.delete(campaignId);
      if (this.next.delete(campaignId)) this.waiting.add(campaignId);
    }
  }
}

export class InMemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];

  async record(entry: AuditEntry): Promise<void> {
    this.entries.push(structuredClone(entry));
  }

  async listByCampaign(campaignId: string, limit: number): Promise<AuditEntry[]> {
    return this.entries
      .filter((e) => e.campaignId === campaignId)
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, limit)
      .map((e) => structuredClone(e)); // copies, as a database hands out: the log stays append-only
  }
}

/**
 * Lets every attempt in and remembers what it was told, for assertions: a spy, not a stand-in that limits
 * (InMemoryLoginThrottle is the one that keeps the LoginThrottle contract).
 */
export class RecordingThrottle implements LoginThrottle {
  readonly events: string[] = [];

  async admit({ account, clientIp }: { account: string; clientIp: string }): Promise<void> {
    this.events.push(`admit ${account} ${clientIp}`);
  }

  async admitToken(attempt: { userId: string; clientIp: string }): Promise<void> {
    this.admitTokenAtOnce(attempt);
  }

  admitTokenAtOnce({ userId, clientIp }: { userId: string; clientIp: string }): boolean {
    this.events.push(`admit token ${userId} ${clientIp}`);
    return true;
  }

  async recordFailure({ account }: LoginAttempt): Promise<void> {
    this.events.push(`failure ${account}`);
  }

  async recordSuccess({ account }: LoginAttempt): Promise<void> {
    this.events.push(`success ${account}`);
  }

  async release({ account }: LoginAttempt): Promise<void> {
    this.events.push(`release ${account}`);
  }
}
