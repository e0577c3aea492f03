import type { SoldOutView } from '../../../src/ports/sold-out-view.port';
import type { InMemorySlotCounter } from './in-memory-slot-counter';

/**
 * The sold-out view over the in-memory counter: it hears of every change at once (it reads the counter's
 * state version on each question), so it is the view with no lag at all. Passes the same contract as the
 * Redis adapter.
 */
export class InMemorySoldOutView implements SoldOutView {
  private readonly learned = new Map<string, number>();

  constructor(private readonly counter: InMemorySlotCounter) {}

  soldOutFor(campaignId: string, userId: string): boolean {
    const state = this.counter.campaigns.get(campaignId);
    const version = this.learned.get(campaignId);
    if (state === undefined || version === undefined || state.state !== version) return false;
    return !state.slots.has(userId);
  }

  noteFull(campaignId: string, stateVersion: number): void {
    if (this.counter.campaigns.get(campaignId)?.state === stateVersion) this.learned.set(campaignId, stateVersion);
  }

  async close(): Promise<void> {
    this.learned.clear();
  }
}
