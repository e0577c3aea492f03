import type { SlotClaim } from '../../../src/domain/slot';
import type { CounterSettings, PublishResult, SlotCounter } from '../../../src/ports/slot-counter.port';

interface CampaignState {
  limit?: number;
  paused?: boolean;
  counter?: number;
  slots: Map<string, number>;
}

/** The slot counter's rules in memory, for unit tests; passes the same contract as the Redis adapter. */
export class InMemorySlotCounter implements SlotCounter {
  readonly campaigns = new Map<string, CampaignState>();

  private state(campaignId: string): CampaignState {
    let state = this.campaigns.get(campaignId);
    if (state === undefined) {
      state = { slots: new Map() };
      this.campaigns.set(campaignId, state);
    }
    return state;
  }

  async claim(campaignId: string, userId: string): Promise<SlotClaim> {
    const state = this.state(campaignId);
    if (state.limit === undefined) return { kind: 'not_ready', reason: 'campaign_missing' };
    const held = state.slots.get(userId);
    if (held !== undefined) return { kind: 'held', slot: held, limit: state.limit };
    if (state.paused) return { kind: 'paused', limit: state.limit };
    if (state.counter === undefined) return { kind: 'not_ready', reason: 'counter_missing' };
    if (state.counter >= state.limit) return { kind: 'full', limit: state.limit };
    state.counter += 1;
    state.slots.set(userId, state.counter);
    return { kind: 'won', slot: state.counter, limit: state.limit };
  }

  async publish(settings: CounterSettings, fresh: boolean): Promise<PublishResult> {
    const state = this.state(settings.campaignId);
    if (state.counter !== undefined && settings.limit < state.counter) {
      return { kind: 'limit_below_counter', counter: state.counter };
    }
    state.limit = settings.limit;
    state.paused = settings.paused;
    if (state.counter !== undefined) return { kind: 'published', counter: state.counter };
    if (!fresh) return { kind: 'counter_missing' };
    state.counter = 0;
    return { kind: 'published', counter: 0 };
  }

  async reset(campaignId: string): Promise<void> {
    const state = this.state(campaignId);
    state.counter = 0;
    state.slots.clear();
  }

  async readCounter(campaignId: string): Promise<number | null> {
    return this.campaigns.get(campaignId)?.counter ?? null;
  }

  /** What a Redis that lost its data looks like. */
  forget(campaignId: string): void {
    this.campaigns.delete(campaignId);
  }
}
