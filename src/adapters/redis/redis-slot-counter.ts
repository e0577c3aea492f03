import type { CampaignSettings } from '../../domain/campaign';
import type { SlotClaim } from '../../domain/slot';
import type { CounterRepair, CounterSnapshot } from '../../ports/counter-repair.port';
import type {
  CounterInspection,
  PublishResult,
  Reassignment,
  SlotCounter,
  PublishOptions,
} from '../../ports/slot-counter.port';
import { campaignKeyList, campaignKeys } from './keys';
import { REPLY } from './script-replies';
import { defineScripts, runScript, type RedisClient } from './scripts';

const BATCH = 1_000;
const META_FIELDS = ['limit', 'paused', 'version', 'startsAt', 'endsAt'] as const;

/** The replies shared by claim-slot.lua and reassign-slot.lua. */
function decodeClaim(
  code: number | undefined,
  slot: number,
  limit: number,
  version: number,
  stateVersion?: number,
): SlotClaim | null {
  switch (code) {
    case REPLY.WON:
      return { kind: 'won', slot, limit, version };
    case REPLY.HELD:
      return { kind: 'held', slot, limit, version };
    case REPLY.FULL:
      return stateVersion === undefined ? { kind: 'full', limit } : { kind: 'full', limit, stateVersion };
    case REPLY.PAUSED:
      return { kind: 'paused', limit };
    case REPLY.NOT_ACTIVE:
      return { kind: 'not_active' };
    case REPLY.NO_COUNTER:
      return { kind: 'not_ready', reason: 'counter_missing' };
    case REPLY.NO_META:
      return { kind: 'not_ready', reason: 'campaign_missing' };
    default:
      return null;
  }
}

/** The meta hash's fields (as HMGET answers them, in META_FIELDS order) as settings; null when missing. */
function settingsFrom(fields: readonly (string | null)[]): CampaignSettings | null {
  const [limit, paused, version, startsAt, endsAt] = fields;
  if (limit === null || limit === undefined) return null;
  return {
    limit: Number(limit),
    paused: paused === '1',
    version: Number(version ?? 0),
    startsAt: new Date(Number(startsAt ?? 0)),
    endsAt: endsAt === null || endsAt === undefined || endsAt === '0' ? null : new Date(Number(endsAt)),
  };
}

/**
 * The slot counter on Redis: one Lua script per decision, one round trip per claim. Also the repair side
 * used by reconciliation (same keys, see keys.ts).
 */
export class RedisSlotCounter implements SlotCounter, CounterRepair {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {
    defineScripts(redis);
  }

  private keys(campaignId: string) {
    return campaignKeys(this.keyPrefix, campaignId);
  }

  private run(name: Parameters<typeof runScript>[1], campaignId: string, args: readonly (string | number)[]) {
    return runScript(this.redis, name, campaignKeyList(this.keys(campaignId)), args);
  }

  async claim(campaignId: string, userId: string): Promise<SlotClaim> {
    const [code, slot = 0, limit = 0, version = 0, state] = await this.run('promoClaimSlot', campaignId, [userId]);
    const claim = decodeClaim(code, slot, limit, version, state);
    if (claim === null) throw new Error(`claim script answered unknown code ${String(code)}`);
    return claim;
  }

  async reassign(campaignId: string, userId: string, staleSlot: number): Promise<Reassignment> {
    const [code, slot = 0, limit = 0, version = 0] = await this.run('promoReassignSlot', campaignId, [
      userId,
      staleSlot,
    ]);
    if (code === REPLY.CHANGED) return { kind: 'changed', slot: slot === 0 ? null : slot };
    const claim = decodeClaim(code, slot, limit, version);
    if (claim === null || claim.kind === 'held' || claim.kind === 'paused' || claim.kind === 'not_active') {
      throw new Error(`reassign script answered unexpected code ${String(code)}`);
    }
    return claim;
  }

  async moveSlot(campaignId: string, userId: string, fromSlot: number, toSlot: number | null): Promise<boolean> {
    const [changed] = await this.run('promoMoveSlot', campaignId, [userId, fromSlot, toSlot ?? 0]);
    return changed === 1;
  }

  async giveUp(campaignId: string, userId: string, slot: number): Promise<boolean> {
    const [changed] = await this.run('promoMoveSlot', campaignId, [userId, slot, 0, '1']);
    return changed === 1;
  }

  async publish(
    campaignId: string,
    settings: CampaignSettings,
    fresh: boolean,
    { strict = false, superseded, lowering = false }: PublishOptions = {},
  ): Promise<PublishResult> {
    const args = [
      settings.limit,
      settings.paused ? '1' : '0',
      settings.version,
      settings.startsAt.getTime(),
      settings.endsAt?.getTime() ?? 0,
      fresh ? '1' : '0',
      superseded?.version ?? -1,
      superseded?.floor ?? 0,
      strict ? '1' : '0',
      superseded?.refused ?? -1,
      lowering ? '1' : '0',
    ];
    const [code, counter = -1, version = 0] = await this.run('promoPublishCampaign', campaignId, args);
    switch (code) {
      case REPLY.PUBLISHED:
        return { kind: 'published', counter };
      case REPLY.LIMIT_BELOW_COUNTER:
        return { kind: 'limit_below_counter', counter };
      case REPLY.COUNTER_MISSING:
        return { kind: 'counter_missing' };
      case REPLY.NOT_IN_FORCE:
        return { kind: 'not_in_force' };
      case REPLY.STALE:
        return { kind: 'stale', version };
      default:
        throw new Error(`publish script answered unknown code ${String(code)}`);
    }
  }

  async reset(campaignId: string): Promise<void> {
    const keys = this.keys(campaignId);
    await this.redis.multi().del(keys.slots, keys.free, keys.suspects).set(keys.counter, 0).exec();
    await this.noteChange(campaignId);
  }

  /** A change made outside a script: the state version grows and the change is published. */
  private async noteChange(campaignId: string): Promise<void> {
    await this.run('promoNoteChange', campaignId, []);
  }

  async inspect(campaignId: string): Promise<CounterInspection> {
    const keys = this.keys(campaignId);
    const [meta, counter, holders, free] = await Promise.all([
      this.redis.hmget(keys.meta, ...META_FIELDS),
      this.redis.get(keys.counter),
      this.redis.hlen(keys.slots),
      this.redis.zcard(keys.free),
    ]);
    const settings = settingsFrom(meta);
    return {
      counter: counter === null ? null : Number(counter),
      limit: settings?.limit ?? null,
      paused: settings?.paused ?? false,
      version: settings?.version ?? null,
      holders,
      free,
    };
  }

  async readCounter(campaignId: string): Promise<number | null> {
    const value = await this.redis.get(this.keys(campaignId).counter);
    return value === null ? null : Number(value);
  }

  async snapshot(campaignId: string): Promise<CounterSnapshot> {
    const keys = this.keys(campaignId);
    const [meta, counter, free] = await Promise.all([
      this.redis.hmget(keys.meta, ...META_FIELDS),
      this.redis.get(keys.counter),
      this.redis.zrange(keys.free, '0', '-1'),
    ]);
    const holders = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(keys.slots, cursor, 'COUNT', BATCH);
      for (let i = 0; i + 1 < flat.length; i += 2) holders.set(flat[i] as string, Number(flat[i + 1]));
      cursor = next;
    } while (cursor !== '0');
    return {
      settings: settingsFrom(meta),
      counter: counter === null ? null : Number(counter),
      holders,
      free: free.map(Number),
    };
  }

  async restoreHolders(
    campaignId: string,
    entries: readonly { userId: string; slot: number }[],
    underVersion?: number,
  ): Promise<number> {
    const version = underVersion === undefined ? '' : String(underVersion);
    let restored = 0;
    for (let start = 0; start < entries.length; start += BATCH) {
      const pairs = entries.slice(start, start + BATCH).flatMap(({ userId, slot }) => [userId, slot]);
      const [added = 0] = await this.run('promoRestoreHolders', campaignId, [version, ...pairs]);
      restored += added;
    }
    return restored;
  }

  async raiseCounter(
    campaignId: string,
    atLeast: number,
    underVersion?: number,
  ): Promise<{ before: number | null; after: number | null }> {
    const [before = -1, after = -1] = await this.run('promoRaiseCounter', campaignId, [
      atLeast,
      underVersion === undefined ? '' : String(underVersion),
    ]);
    return { before: before < 0 ? null : before, after: after < 0 ? null : after };
  }

  async freeSlots(campaignId: string, slots: readonly number[], underVersion?: number): Promise<number> {
    const version = underVersion === undefined ? '' : String(underVersion);
    let added = 0;
    for (let start = 0; start < slots.length; start += BATCH) {
      const [count = 0] = await this.run('promoFreeSlots', campaignId, [version, ...slots.slice(start, start + BATCH)]);
      added += count;
    }
    return added;
  }

  async unfreeSlots(campaignId: string, slots: readonly number[]): Promise<number> {
    if (slots.length === 0) return 0;
    const removed = await this.redis.zrem(this.keys(campaignId).free, ...slots.map(String));
    if (removed > 0) await this.noteChange(campaignId);
    return removed;
  }

  async suspects(campaignId: string): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(this.keys(campaignId).suspects);
    return new Map(Object.entries(all).map(([what, since]) => [what, Number(since)]));
  }

  async saveSuspects(campaignId: string, suspects: ReadonlyMap<string, number>): Promise<void> {
    const key = this.keys(campaignId).suspects;
    const transaction = this.redis.multi().del(key);
    if (suspects.size > 0) transaction.hset(key, Object.fromEntries(suspects));
    await transaction.exec();
  }
}
