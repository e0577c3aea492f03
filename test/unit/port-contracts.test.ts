import { slotCounterContract } from '../contract/slot-counter.contract';
import { storesContract } from '../contract/stores.contract';
import { InMemorySlotCounter } from '../support/fakes/in-memory-slot-counter';
import {
  InMemoryCampaignStore,
  InMemoryParticipationStore,
  InMemoryUserDirectory,
  InMemoryVoucherStore,
  InMemoryWinnerStore,
} from '../support/fakes/in-memory-stores';

slotCounterContract('in-memory fake', () => {
  const counter = new InMemorySlotCounter();
  return { counter, forget: async (campaignId) => counter.forget(campaignId) };
});

storesContract('in-memory fakes', () => ({
  participations: new InMemoryParticipationStore(),
  winners: new InMemoryWinnerStore(),
  vouchers: new InMemoryVoucherStore(),
  campaigns: new InMemoryCampaignStore(),
  users: new InMemoryUserDirectory(),
}));
