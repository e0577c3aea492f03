import type { Logger } from '../../ports/logger.port';
import type { SoldOutView } from '../../ports/sold-out-view.port';
import { campaignKeys, changesChannel } from './keys';
import type { RedisClient } from './scripts';

export interface SoldOutViewOptions {
  keyPrefix: string;
  /** How often each remembered campaign's state version is read again (a change message may be lost). */
  checkEveryMs: number;
  /** Campaigns with more slot holders than this are not remembered (the view keeps their ids). */
  maxHolders: number;
  logger: Logger;
}

interface View {
  /** The campaign's state version the view was made at. */
  version: number;
  /** Everyone who holds a slot at that version: they are answered by the counter, never from here. */
  holders: Set<string>;
}

/**
 * The sold-out view on Redis. Every script that changes a campaign's slot state bumps its state version
 * and publishes "<id> <version>" on <prefix>:campaign-changes (keys.ts); this process subscribes, and:
 * - remembers a campaign once the counter answered "full" at version V: its holders and V are read in one
 *   transaction, kept only if the version is still V and no later change was heard meanwhile;
 * - forgets it on any change message of a later version, and every `checkEveryMs` reads the versions
 *   again, in case a change happened without a message (a FLUSHALL, a lost message);
 * - takes a read of the state version below one it had heard before the read was sent as Redis having
 *   lost the campaign (versions start over after a FLUSHALL): it forgets what it heard, installs nothing
 *   from that read, and learns the campaign from the next "full" answer. A full answer below what was
 *   heard sends such a read at most once per `checkEveryMs` per campaign;
 * - forgets everything while the subscription is down, and learns nothing until it is up again, so a
 *   change it could not hear of can never leave a stale view behind.
 * The view is therefore never ahead of the counter; it may lag it by the time a message takes to arrive.
 */
export class RedisSoldOutView implements SoldOutView {
  private readonly views = new Map<string, View>();
  /** The latest version heard of, per campaign (to refuse a view made from a read that a change overtook). */
  private readonly heard = new Map<string, number>();
  private readonly loading = new Set<string>();
  /** When a "full" answer below what was heard last sent a read to find out whether Redis lost the campaign. */
  private readonly probed = new Map<string, number>();
  private listening = false;
  private rechecking = false;
  private readonly timer: NodeJS.Timeout;
  private readonly channel: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly options: SoldOutViewOptions,
  ) {
    this.channel = changesChannel(options.keyPrefix);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onChange(message);
    });
    subscriber.on('ready', () => void this.subscribe());
    for (const event of ['close', 'reconnecting', 'end', 'error']) subscriber.on(event, () => this.deafen());
    if (subscriber.status === 'ready') void this.subscribe();
    this.timer = setInterval(() => void this.recheck(), options.checkEveryMs);
    this.timer.unref();
  }

  soldOutFor(campaignId: string, userId: string): boolean {
    if (!this.listening) return false;
    const view = this.views.get(campaignId);
    return view !== undefined && !view.holders.has(userId);
  }

  noteFull(campaignId: string, stateVersion: number): void {
    if (!this.listening || this.loading.has(campaignId)) return;
    if (this.views.get(campaignId)?.version === stateVersion) return;
    if ((this.heard.get(campaignId) ?? 0) > stateVersion) {
      // A change overtook this answer, or Redis lost the campaign and its versions start over: a read tells
      // (learn), at most once per recheck interval.
      const now = Date.now();
      if (now - (this.probed.get(campaignId) ?? 0) < this.options.checkEveryMs) return;
      this.probed.set(campaignId, now);
    }
    this.loading.add(campaignId);
    this.learn(campaignId, stateVersion)
      .catch((error: unknown) => this.options.logger.warn({ err: error, campaignId }, 'sold-out view not learned'))
      .finally(() => this.loading.delete(campaignId));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.deafen();
    this.subscriber.disconnect();
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
      this.listening = true;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'sold-out view: subscription failed');
    }
  }

  private deafen(): void {
    this.listening = false;
    this.views.clear();
    this.heard.clear();
    this.probed.clear();
  }

  private onChange(message: string): void {
    const at = message.lastIndexOf(' ');
    const campaignId = message.slice(0, at);
    const version = Number(message.slice(at + 1));
    this.heard.set(campaignId, Math.max(version, this.heard.get(campaignId) ?? 0));
    const view = this.views.get(campaignId);
    if (view !== undefined && view.version < version) this.views.delete(campaignId);
  }

  private async learn(campaignId: string, stateVersion: number): Promise<void> {
    const keys = campaignKeys(this.options.keyPrefix, campaignId);
    // Heard before the read below was sent: the read must see at least this version, unless Redis lost it.
    const heardBefore = this.heard.get(campaignId) ?? 0;
    const count = await this.redis.hlen(keys.slots);
    if (count > this.options.maxHolders) return;
    const replies = (await this.redis.multi().get(keys.state).hkeys(keys.slots).exec()) ?? [];
    const [[stateError, state] = [], [holdersError, holders] = []] = replies;
    if (stateError || holdersError) throw stateError ?? holdersError;
    const version = Number(state ?? 0);
    if (version < heardBefore) {
      // The versions went backwards: Redis lost the campaign. What was heard says nothing now; kept, it
      // would refuse every view of the campaign until its versions climbed past it, which a sold-out
      // campaign's never do. Nothing is installed from this read; the next "full" answer teaches.
      if (this.heard.get(campaignId) === heardBefore) this.heard.set(campaignId, version);
      return;
    }
    // Only as current as the counter's answer, and only if nothing later has been heard of meanwhile.
    if (!this.listening || version !== stateVersion || (this.heard.get(campaignId) ?? 0) > version) return;
    this.views.set(campaignId, { version, holders: new Set(holders as string[]) });
  }

  /** Reads every remembered campaign's version again; a view whose version moved is forgotten. */
  private async recheck(): Promise<void> {
    const remembered = [...this.views];
    if (remembered.length === 0 || this.rechecking) return;
    this.rechecking = true;
    try {
      // One GET per campaign (not a pipeline: on a Redis Cluster their keys live on different shards).
      const states = await Promise.all(
        remembered.map(([campaignId]) => this.redis.get(campaignKeys(this.options.keyPrefix, campaignId).state)),
      );
      remembered.forEach(([campaignId, view], i) => {
        if (Number(states[i] ?? 0) !== view.version) this.views.delete(campaignId);
      });
    } catch {
      this.views.clear(); // no way to tell: forget, and ask the counter again
    } finally {
      this.rechecking = false;
    }
  }
}
