import type { Campaign } from '../domain/campaign';
import { summarizeLogin, type CampaignResult, type LoginSummary } from '../domain/login-outcome';
import { AppError } from '../errors';
import type { CampaignCache } from '../ports/campaign-cache.port';
import type { CampaignStore } from '../ports/campaign-store.port';
import type { Clock } from '../ports/clock.port';
import type { Credentials, IdentifyUser } from './identify-user.use-case';
import type { ClaimCampaignSlot } from './claim-campaign-slot.use-case';
import { orUnavailable } from './support/dependency-call';

export interface LoginToCampaignInput {
  credentials: Credentials;
  /** Without it the login counts for every campaign running now. */
  campaignId?: string | undefined;
  /** The caller's address, for the per-client login limit. */
  clientIp: string;
}

export interface LoginToCampaignResult extends LoginSummary {
  userId: string;
  campaigns: CampaignResult[];
}

/** A user's login, turned into a claim on one campaign or on every campaign running now. */
export class LoginToCampaign {
  constructor(
    private readonly identify: IdentifyUser,
    private readonly campaigns: CampaignStore,
    /** What decideAtOnce may know of a campaign without reading it. */
    private readonly cache: CampaignCache,
    private readonly claimer: ClaimCampaignSlot,
    private readonly clock: Clock,
    /** Most campaigns one login without campaignId may claim in; beyond, campaignId is required. */
    private readonly fanOutMax: number,
  ) {}

  async execute(input: LoginToCampaignInput): Promise<LoginToCampaignResult> {
    const user = await orUnavailable(this.identify.execute(input.credentials, input.clientIp), 'authentication');
    const targets = await this.targetCampaigns(input.campaignId);
    const campaigns = await Promise.all(targets.map((campaign) => this.claimer.claim(campaign, user.userId)));
    return { userId: user.userId, campaigns, ...summarizeLogin(campaigns) };
  }

  /**
   * The same login decided from what this process holds, without waiting, when it can be: a token verified
   * here, a named campaign cached here, the sold-out view certain it is full for this user, and the attempt
   * limits decided here. The answer (or the AppError thrown) is the one execute would give; undefined,
   * having counted nothing, when any part needs a dependency: then execute. This is the sold-out path of a
   * burst, most of its logins, with no promise, timer or round trip.
   */
  decideAtOnce(input: LoginToCampaignInput): LoginToCampaignResult | undefined {
    const { credentials, campaignId, clientIp } = input;
    if (credentials.kind !== 'token' || campaignId === undefined) return undefined;
    const campaign = this.cache.peek(campaignId);
    if (campaign === undefined || campaign === null) return undefined;
    const user = this.identify.verifyTokenAtOnce(credentials.token);
    if (user === undefined) return undefined;
    const now = this.clock.now();
    if (!this.claimer.knownFull(campaign, user.userId, now)) return undefined;
    if (!this.identify.admitTokenAtOnce(user.userId, clientIp)) return undefined;
    const campaigns = [this.claimer.fullForLoser(campaign.id, user.userId, now)];
    return { userId: user.userId, campaigns, ...summarizeLogin(campaigns) };
  }

  private async targetCampaigns(campaignId: string | undefined): Promise<Campaign[]> {
    if (campaignId === undefined) {
      const running = await orUnavailable(this.campaigns.listRunning(this.clock.now()), 'campaign lookup');
      if (running.length > this.fanOutMax)
        throw new AppError('CAMPAIGN_ID_REQUIRED', undefined, { max: this.fanOutMax });
      return running;
    }
    const campaign = await orUnavailable(this.campaigns.findById(campaignId), 'campaign lookup');
    if (campaign === null) throw new AppError('CAMPAIGN_NOT_FOUND', undefined, { campaignId });
    return [campaign];
  }
}
