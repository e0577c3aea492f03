import { SharedFreshCampaignReads } from '../../src/adapters/memory/shared-fresh-campaign-reads';
import { auditLogContract } from '../contract/audit-log.contract';
import { counterRepairContract } from '../contract/counter-repair.contract';
import { loginThrottleContract } from '../contract/login-throttle.contract';
import { reconcileTriggerContract } from '../contract/reconcile-trigger.contract';
import { slotCounterContract } from '../contract/slot-counter.contract';
import { soldOutViewContract } from '../contract/sold-out-view.contract';
import { InMemorySoldOutView } from '../support/fakes/in-memory-sold-out-view';
import { storesContract } from '../contract/stores.contract';
import { voucherQueueContract } from '../contract/voucher-queue.contract';
import { InMemoryLoginThrottle } from '../support/fakes/in-memory-login-throttle';
import { InMemorySlotCounter } from '../support/fakes/in-memory-slot-counter';
import {
  InMemoryAuditLog,
  InMemoryCampaignStore,
  InMemoryParticipationStore,
  InMemoryUserDirectory,
  InMemoryVoucherStore,
  InMemoryWinnerStore,
  RecordingReconcileTrigger,
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

counterRepairContract('in-memory fake', () => ({ counter: new InMemorySlotCounter() }));

storesContract('in-memory fakes', () => ({
  participations: new InMemoryParticipationStore(),
  winners: new InMemoryWinnerStore(),
  vouchers: new InMemoryVoucherStore(),
  campaigns: new InMemoryCampaignStore(),
  users: new InMemoryUserDirectory(),
}));

storesContract('in-memory fakes, campaigns read through SharedFreshCampaignReads', () => ({
  participations: new InMemoryParticipationStore(),
  winners: new InMemoryWinnerStore(),
  vouchers: new InMemoryVoucherStore(),
  campaigns: new SharedFreshCampaignReads(new InMemoryCampaignStore()),
  users: new InMemoryUserDirectory(),
}));

auditLogContract('in-memory fake', () => new InMemoryAuditLog());

voucherQueueContract('recording fake', () => {
  const queue = new RecordingVoucherQueue();
  const asNames = (requests: string[]) =>
    requests.map((request) => request.split('\u0000').slice(0, 2).join('/')).sort();
  return {
    queue,
    work: async () => asNames(queue.drain()),
    waiting: async () => asNames([...queue.requests]),
    close: async () => {},
  };
});

reconcileTriggerContract('recording fake', () => {
  const trigger = new RecordingReconcileTrigger();
  return {
    trigger,
    take: async () => {
      const campaigns = trigger.take();
      return { campaigns, finish: async () => trigger.finish(campaigns) };
    },
    close: async () => {},
  };
});

loginThrottleContract('in-memory fake', (limits) => {
  let now = Date.now();
  return {
    throttle: new InMemoryLoginThrottle(limits, () => now),
    pass: async (ms) => {
      now += ms;
    },
  };
});
