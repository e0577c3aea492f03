import { isRunningAt, type CampaignSettings } from '../../../src/domain/campaign';
import type { SlotClaim } from '../../../src/domain/slot';
import type { CounterRepair, CounterSnapshot } from '../../../src/ports/counter-repair.port';
import type {
  CounterInspection,
  PublishResult,
  Reassignment,
  SlotCounter,
  PublishOptions,
} from '../../../src/ports/slot-counter.port';

interface CampaignState {
  settings?: CampaignSettings;
  counter?: number;
  slots: Map<string, number>;
  free: Set<number>;
  suspects: Map<string, number>;
  /** Grows with every change of slots or settings, as the scripts' state key does. */
  state: number;
}

/**
 * The slot counter's rules in memory, for unit tests; passes the same contract as the Redis adapter. Its
 * clock (for the time window) is the caller's, as Redis's own is the Lua scripts'.
 */
export class InMemorySlotCounter implements SlotCounter, CounterRepair {
  readonly campaigns = new Map<string, CampaignState>();

  constructor(private readonly now: () => number = Date.now) {}

  private state(campaignId: string): CampaignState {
    let state = this.campaigns.get(campaignId);
    if (state === undefined) {
      state = { slots: new Map(), free: new Set(), suspects: new Map(), state: 0 };
      this.campaigns.set(campaignId, state);
    }
    return state;
  }

  /** The lowest free slot at or below the limit, else the next one, else null (full). */
  private nextSlot(state: CampaignState, limit: number): number | null {
    const freed = [...state.free].filter((slot) => slot <= limit);
    if (freed.length > 0) {
      const slot = Math.min(...freed);
      state.free.delete(slot);
      return slot;
    }
    if ((state.counter as number) >= limit) return null;
    state.counter = (state.counter as number) + 1;
    return state.counter;
  }

  async claim(campaignId: string, userId: string): Promise<SlotClaim> {
    const state = this.state(campaignId);
    const settings = state.settings;
    if (settings === undefined) return { kind: 'not_ready', reason: 'campaign_missing' };
    const { limit, version } = settings;
    const held = state.slots.get(userId);
    if (held !== undefined) return { kind: 'held', slot: held, limit, version };
    if (!isRunningAt(settings, new Date(this.now()))) return { kind: 'not_active' };
    if (settings.paused) return { kind: 'paused', limit };
    if (state.counter === undefined) return { kind: 'not_ready', reason: 'counter_missing' };
    const slot = this.nextSlot(state, limit);
    if (slot === null) return { kind: 'full', limit, stateVersion: state.state };
    state.slots.set(userId, slot);
    state.state += 1;
    return { kind: 'won', slot, limit, version };
  }

  async reassign(campaignId: string, userId: string, staleSlot: number): Promise<Reassignment> {
    const state = this.state(campaignId);
    const settings = state.settings;
    if (settings === undefined) return { kind: 'not_ready', reason: 'campaign_missing' };
    const held = state.slots.get(userId);
    if (held !== staleSlot) return { kind: 'changed', slot: held ?? null };
    if (state.counter === undefined) return { kind: 'not_ready', reason: 'counter_missing' };
    const slot = this.nextSlot(state, settings.limit);
    state.state += 1;
    if (slot === null) {
      state.slots.delete(userId);
      return { kind: 'full', limit: settings.limit };
    }
    state.slots.set(userId, slot);
    return { kind: 'won', slot, limit: settings.limit, version: settings.version };
  }

  async moveSlot(campaignId: string, userId: string, fromSlot: number, toSlot: number | null): Promise<boolean> {
    const state = this.state(campaignId);
    if (state.slots.get(userId) !== fromSlot) return false;
    if (toSlot === null) state.slots.delete(userId);
    else state.slots.set(userId, toSlot);
    state.state += 1;
    return true;
  }

  async giveUp(campaignId: string, userId: string, slot: number): Promise<boolean> {
    const state = this.state(campaignId);
    if (state.slots.get(userId) !== slot) return false;
    state.slots.delete(userId);
    if (state.counter !== undefined && state.settings !== undefined) {
      if (slot >= 1 && slot <= Math.min(state.counter, state.settings.limit)) state.free.add(slot);
    }
    state.state += 1;
    return true;
  }

  async publish(
    campaignId: string,
    settings: CampaignSettings,
    fresh: boolean,
    { strict = false, superseded, lowering = false }: PublishOptions = {},
  ): Promise<PublishResult> {
    const state = this.state(campaignId);
    const stored = state.settings?.version;
    if (stored !== undefined && (stored > settings.version || (strict && stored === settings.version))) {
      return { kind: 'stale', version: stored };
    }
    const rolledBack =
      superseded !== undefined &&
      (stored === undefined || stored < superseded.version || stored === superseded.refused);
    const notInForce = stored === undefined || rolledBack;
    if (lowering && (notInForce || state.counter === undefined)) return { kind: 'not_in_force' };
    const counter =
      rolledBack && state.counter !== undefined ? Math.min(state.counter, superseded.floor) : state.counter;
    if (counter !== undefined && settings.limit < counter) {
      return { kind: 'limit_below_counter', counter };
    }
    if (counter !== state.counter && counter !== undefined) {
      state.counter = counter;
      for (const slot of state.free) if (slot > counter) state.free.delete(slot);
    }
    if (rolledBack) state.slots.clear();
    state.settings = { ...settings };
    state.state += 1;
    if (state.counter !== undefined) return { kind: 'published', counter: state.counter };
    if (!fresh) return { kind: 'counter_missing' };
    state.counter = 0;
    return { kind: 'published', counter: 0 };
  }

  async reset(campaignId: string): Promise<void> {
    const state = this.state(campaignId);
    state.counter = 0;
    state.slots.clear();
    state.free.clear();
    state.suspects.clear();
    state.state += 1;
  }

  async inspect(campaignId: string): Promise<CounterInspection> {
    const state = this.state(campaignId);
    return {
      counter: state.counter ?? null,
      limit: state.settings?.limit ?? null,
      paused: state.settings?.paused === true,
      version: state.settings?.version ?? null,
      holders: state.slots.size,
      free: state.free.size,
    };
  }

  async readCounter(campaignId: string): Promise<number | null> {
    return this.campaigns.get(campaignId)?.counter ?? null;
  }

  async snapshot(campaignId: string): Promise<CounterSnapshot> {
    const state = this.state(campaignId);
    return {
      settings: state.settings === undefined ? null : { ...state.settings },
      counter: state.counter ?? null,
      holders: new Map(state.slots),
      free: [...state.free].sort((a, b) => a - b),
    };
  }

  async restoreHolders(
    campaignId: string,
    entries: readonly { userId: string; slot: number }[],
    underVersion?: number,
  ): Promise<number> {
    const state = this.state(campaignId);
    if (underVersion !== undefined && state.settings?.version !== underVersion) return 0;
    let restored = 0;
    for (const { userId, slot } of entries) {
      if (state.slots.has(userId)) continue;
      state.slots.set(userId, slot);
      restored += 1;
    }
    if (restored > 0) state.state += 1;
    return restored;
  }

  async raiseCounter(
    campaignId: string,
    atLeast: number,
    underVersion?: number,
  ): Promise<{ before: number | null; after: number | null }> {
    const state = this.state(campaignId);
    const before = state.counter ?? null;
    if (underVersion !== undefined && state.settings?.version !== underVersion) return { before, after: before };
    if (before === null || before < atLeast) {
      state.counter = atLeast;
      state.state += 1;
    }
    return { before, after: state.counter as number };
  }

  async freeSlots(campaignId: string, slots: readonly number[], underVersion?: number): Promise<number> {
    const state = this.state(campaignId);
    if (state.counter === undefined || state.settings === undefined) return 0;
    if (underVersion !== undefined && state.settings.version !== underVersion) return 0;
    const top = Math.min(state.counter, state.settings.limit);
    let added = 0;
    for (const slot of slots) {
      if (slot < 1 || slot > top || state.free.has(slot)) continue;
      state.free.add(slot);
      added += 1;
    }
    if (added > 0) state.state += 1;
    return added;
  }

  async unfreeSlots(campaignId: string, slots: readonly number[]): Promise<number> {
    const state = this.state(campaignId);
    const removed = slots.filter((slot) => state.free.delete(slot)).length;
    if (removed > 0) state.state += 1;
    return removed;
  }

  async suspects(campaignId: string): Promise<Map<string, number>> {
    return new Map(this.state(campaignId).suspects);
  }

  async saveSuspects(campaignId: string, suspects: ReadonlyMap<string, number>): Promise<void> {
    this.state(campaignId).suspects = new Map(suspects);
  }

  /** What a Redis that lost its data looks like. */
  forget(campaignId: string): void {
    this.campaigns.delete(campaignId);
  }
}
