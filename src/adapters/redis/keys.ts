/**
 * The Redis layout of a campaign. Every key carries the campaign id as a hash tag, so one campaign's keys
 * share a Redis Cluster slot and a Lua script may touch them all.
 *   <prefix>:{<id>}:meta      hash  limit, paused
 *   <prefix>:{<id>}:counter   int   slots handed out so far (its absence closes claims)
 *   <prefix>:{<id>}:slots     hash  userId -> slot
 *   <prefix>:{<id>}:free      zset  slots at or below the counter that nobody holds, handed out first
 *   <prefix>:{<id>}:suspects  hash  what reconciliation saw out of place -> when it first saw it (ms)
 *   <prefix>:{<id>}:state     int   grows by one with every change of the above but suspects; each change is
 *                                   also published on <prefix>:campaign-changes as "<id> <state>", so API
 *                                   processes can keep a view of a sold-out campaign (redis-sold-out-view.ts)
 */
export interface CampaignKeys {
  meta: string;
  counter: string;
  slots: string;
  free: string;
  suspects: string;
  state: string;
}

export function campaignKeys(prefix: string, campaignId: string): CampaignKeys {
  const base = `${prefix}:{${campaignId}}`;
  return {
    meta: `${base}:meta`,
    counter: `${base}:counter`,
    slots: `${base}:slots`,
    free: `${base}:free`,
    suspects: `${base}:suspects`,
    state: `${base}:state`,
  };
}

/** The channel every campaign's changes are published on. */
export function changesChannel(prefix: string): string {
  return `${prefix}:campaign-changes`;
}

/** The key order every campaign script expects (see the KEYS block at the top of each .lua file). */
export function campaignKeyList(keys: CampaignKeys): [string, string, string, string, string] {
  return [keys.meta, keys.counter, keys.slots, keys.free, keys.state];
}
