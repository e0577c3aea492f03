import type { SlotClaim } from '../../domain/slot';
import type { CounterSettings, PublishResult, SlotCounter } from '../../ports/slot-counter.port';
import { campaignKeyList, campaignKeys } from './keys';
import { defineScripts, runScript, type RedisClient } from './scripts';

/** The slot counter on Redis: one Lua script per decision, one round trip per claim. */
export class RedisSlotCounter implements SlotCounter {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {
    defineScripts(redis);
  }

  async claim(campaignId: string, userId: string): Promise<SlotClaim> {
    const keys = campaignKeyList(campaignKeys(this.keyPrefix, campaignId));
    const [code, slot = 0, limit = 0] = await runScript(this.redis, 'promoClaimSlot', keys, [userId]);
    switch (code) {
      case 1:
        return { kind: 'won', slot, limit };
      case 2:
        return { kind: 'held', slot, limit };
      case 3:
        return { kind: 'full', limit };
      case 4:
        return { kind: 'paused', limit };
      case 5:
        return { kind: 'not_ready', reason: 'counter_missing' };
      case 6:
        return { kind: 'not_ready', reason: 'campaign_missing' };
      default:
        throw new Error(`claim script answered unknown code ${String(code)}`);
    }
  }

  async publish(settings: CounterSettings, fresh: boolean): Promise<PublishResult> {
    const keys = campaignKeyList(campaignKeys(this.keyPrefix, settings.campaignId));
    const args = [settings.limit, settings.paused ? '1' : '0', fresh ? '1' : '0'];
    const [code, counter = 0] = await runScript(this.redis, 'promoPublishCampaign', keys, args);
    switch (code) {
      case 1:
        return { kind: 'published', counter };
      case 2:
        return { kind: 'limit_below_counter', counter };
      case 3:
        return { kind: 'counter_missing' };
      default:
        throw new Error(`publish script answered unknown code ${String(code)}`);
    }
  }

  async reset(campaignId: string): Promise<void> {
    const keys = campaignKeys(this.keyPrefix, campaignId);
    await this.redis.multi().del(keys.slots).set(keys.counter, 0).exec();
  }

  async readCounter(campaignId: string): Promise<number | null> {
    const value = await this.redis.get(campaignKeys(this.keyPrefix, campaignId).counter);
    return value === null ? null : Number(value);
  }
}
