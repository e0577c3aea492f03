import { AuthenticateUser } from '../../../src/application/authenticate-user.use-case';
import { ClaimCampaignSlot } from '../../../src/application/claim-campaign-slot.use-case';
import { ConcurrencyGate } from '../../../src/application/support/concurrency-gate';
import { IdentifyUser } from '../../../src/application/identify-user.use-case';
import { LateParticipants } from '../../../src/application/support/late-participants';
import { LoginToCampaign } from '../../../src/application/login-to-campaign.use-case';
import { ReconcileCampaign } from '../../../src/application/reconcile-campaign.use-case';
import { SaveCampaign, type CampaignChanges, type SaveOptions } from '../../../src/application/save-campaign.use-case';
import { ScryptPasswordHasher } from '../../../src/adapters/crypto/scrypt-password-hasher';
import { SCRYPT_PROFILES } from '../../../src/config';
import { AppError } from '../../../src/errors';
import type { Clock } from '../../../src/ports/clock.port';
import type { Logger } from '../../../src/ports/logger.port';
import type { TokenVerifier } from '../../../src/ports/token-verifier.port';
import { silentLogger } from '../../../src/adapters/silent-logger';
import { noSoldOutView, type SoldOutView } from '../../../src/ports/sold-out-view.port';
import { noCampaignCache, type CampaignCache } from '../../../src/ports/campaign-cache.port';
import { InMemorySlotCounter } from './in-memory-slot-counter';
import {
  InMemoryAuditLog,
  InMemoryCampaignStore,
  InMemoryParticipationStore,
  InMemoryUserDirectory,
  InMemoryVoucherStore,
  InMemoryWinnerStore,
  RecordingReconcileTrigger,
  RecordingThrottle,
  RecordingVoucherQueue,
} from './in-memory-stores';

/** The use cases wired over in-memory ports, with a clock that stands still until told to move. */
export interface UnitWorldOptions {
  /** The sold-out view the claims use (none by default: every claim asks the counter). */
  soldOutView?: (slots: InMemorySlotCounter) => SoldOutView;
  /** The campaign cache login.decideAtOnce may use (none by default). */
  campaignCache?: (campaigns: InMemoryCampaignStore) => CampaignCache;
  /** Where reconciliation logs (nowhere by default). */
  reconcileLogger?: Logger;
  /** Reconciliation's slow-pass threshold (its default unless told). */
  slowPassMs?: number;
}

export function unitWorld(options: UnitWorldOptions = {}) {
  let now = new Date('2026-06-01T12:00:00Z');
  const clock: Clock = { now: () => new Date(now) };
  const slots = new InMemorySlotCounter(() => now.getTime());
  const participations = new InMemoryParticipationStore();
  const winners = new InMemoryWinnerStore();
  const vouchers = new InMemoryVoucherStore();
  const campaigns = new InMemoryCampaignStore();
  const users = new InMemoryUserDirectory();
  const voucherQueue = new RecordingVoucherQueue();
  const reconcileTrigger = new RecordingReconcileTrigger();
  const hasher = new ScryptPasswordHasher(SCRYPT_PROFILES.test);
  const lateParticipants = new LateParticipants(participations, silentLogger, {
    batchSize: 100,
    flushIntervalMs: 10,
    maxBuffered: 1_000,
  });
  const claimer = new ClaimCampaignSlot({
    slots,
    campaigns,
    participations,
    winners,
    vouchers,
    voucherQueue,
    reconcileTrigger,
    lateParticipants,
    soldOutView: options.soldOutView?.(slots) ?? noSoldOutView,
    clock,
    logger: silentLogger,
    enqueueTimeoutMs: 50,
    followUpDelaysMs: [5, 10, 20],
  });
  const reconcile = new ReconcileCampaign({
    campaigns,
    winners,
    vouchers,
    participations,
    slots,
    repair: slots,
    redelivery: voucherQueue,
    clock,
    logger: options.reconcileLogger ?? silentLogger,
    graceMs: 30_000,
    ...(options.slowPassMs === undefined ? {} : { slowPassMs: options.slowPassMs }),
  });
  const throttle = new RecordingThrottle();
  // Tokens in unit tests: "token-for.<userId>" verifies as that user; anything else is refused.
  const verifyAtOnce = (token: string) => {
    if (!token.startsWith('token-for.')) throw new AppError('INVALID_TOKEN');
    return { userId: token.slice('token-for.'.length) };
  };
  const tokens: TokenVerifier = { verify: async (token) => verifyAtOnce(token), verifyAtOnce };
  const authenticate = new AuthenticateUser(
    users,
    hasher,
    throttle,
    {
      admission: new ConcurrencyGate({ maxRunning: 100, maxWaiting: 0, maxWaitMs: 0 }),
      hashing: new ConcurrencyGate({ maxRunning: 8, maxWaiting: 100, maxWaitMs: Infinity }),
    },
    silentLogger,
  );
  const audit = new InMemoryAuditLog();
  const saveCampaign = new SaveCampaign(campaigns, winners, vouchers, slots, audit, clock, silentLogger);
  return {
    clock,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
    slots,
    participations,
    winners,
    vouchers,
    campaigns,
    users,
    voucherQueue,
    reconcileTrigger,
    reconcile,
    hasher,
    throttle,
    lateParticipants,
    claimer,
    authenticate,
    login: new LoginToCampaign(
      new IdentifyUser(authenticate, tokens, throttle),
      campaigns,
      options.campaignCache?.(campaigns) ?? noCampaignCache,
      claimer,
      clock,
      20,
    ),
    audit,
    /** The real use case; options default to an upsert by "test". */
    saveCampaign: {
      execute: (id: string, changes: CampaignChanges, options: SaveOptions = { actor: 'test', mode: 'upsert' }) =>
        saveCampaign.execute(id, changes, options),
    },
    addUser: async (account: string, password = 'pw') => {
      await users.upsertMany([{ account, passwordHash: await hasher.hash(password) }]);
      return (await users.findByAccount(account))?.userId as string;
    },
  };
}
export type UnitWorld = ReturnType<typeof unitWorld>;
