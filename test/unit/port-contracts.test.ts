import { slotCounterContract } from '../contract/slot-counter.contract';
import { soldOutViewContract } from '../contract/sold-out-view.contract';
import { InMemorySoldOutView } from '../support/fakes/in-memory-sold-out-view';
import { storesContract } from '../contract/stores.contract';
import { voucherQueueContract } from '../contract/voucher-queue.contract';
import { InMemorySlotCounter } from '../support/fakes/in-memory-slot-counter';
import {
  InMemoryCampaignStore,
  InMemoryParticipationStore,
  InMemoryUserDirectory,
  InMemoryVoucherStore,
  InMemoryWinnerStore,
  RecordingVoucherQueue,
} from '../support/fakes/in-memory-stores';

soldOutViewContract('in-memory fake', () => {
  const counter = new InMemorySlotCounter();
  return { counter, view: new InMemorySoldOutView(counter), settle: async () => {} };
});

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

voucherQueueContract('recording fake', () => {
  const queue = new RecordingVoucherQueue();
  const asNames = (requests: string[]) => requests.map((request) => request.replace('\u0000', '/')).sort();
  return {
    queue,
    work: async () => asNames(queue.drain()),
    waiting: async () => asNames([...queue.requests]),
    close: async () => {},
  };
});
