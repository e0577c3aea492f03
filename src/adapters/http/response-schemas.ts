import { z } from 'zod';

import { ERROR_CODES, type ErrorCode } from '../../errors';

/**
 * The shapes of every JSON answer, as zod schemas. They feed the OpenAPI document, and a test holds real
 * answers against that document, so the two cannot drift apart.
 */

const errorCode = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);
const instant = z.iso.datetime({ offset: true });

export const errorResponse = z.strictObject({
  status: z.literal(false),
  errorCode,
  errorMessage: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

const voucherView = z.strictObject({
  code: z.string(),
  discount: z.number().int(),
  voucherType: z.string(),
  description: z.string(),
  expireDate: instant,
});

const campaignResult = z.strictObject({
  campaignId: z.string(),
  outcome: z.enum(['won', 'already_won', 'full', 'paused', 'not_active', 'unavailable']),
  slot: z.number().int().min(1).optional(),
  voucher: voucherView.optional(),
  errorCode: errorCode.optional(),
});

export const loginResponse = z.strictObject({
  status: z.boolean(),
  errorCode: errorCode.nullable(),
  errorMessage: z.string().nullable(),
  userId: z.string(),
  campaigns: z.array(campaignResult),
});

export const vouchersResponse = z.strictObject({
  status: z.literal(true),
  errorCode: z.null(),
  errorMessage: z.null(),
  userId: z.string(),
  vouchers: z.array(
    z.strictObject({
      campaignId: z.string(),
      code: z.string(),
      slot: z.number().int(),
      discount: z.number().int(),
      voucherType: z.string(),
      description: z.string(),
      expireDate: instant,
      status: z.enum(['pending', 'issued', 'expired']),
    }),
  ),
});

export const healthResponse = z.strictObject({ status: z.literal(true) });

export const readyResponse = z.strictObject({
  status: z.boolean(),
  errorCode: z.literal('SERVICE_UNAVAILABLE').optional(),
  errorMessage: z.string().optional(),
  dependencies: z.record(z.string(), z.enum(['up', 'down'])),
});

const campaign = z.strictObject({
  id: z.string(),
  name: z.string(),
  limit: z.number().int(),
  discount: z.number().int(),
  voucherType: z.string(),
  description: z.string(),
  startsAt: instant,
  endsAt: instant.nullable(),
  voucherValidityDays: z.number().int(),
  paused: z.boolean(),
  /** Grows by one with every change; the counter enforces the settings of the version it holds. */
  version: z.number().int(),
  /** Grows by one with every reset: which rehearsal (or the real run) the campaign's results belong to. */
  run: z.number().int(),
  /** The version at which the current run began (slots handed out under older settings are not its). */
  runSince: z.number().int(),
  /** A reset is under way; changes are refused (409 CAMPAIGN_RESETTING) until it finishes. */
  resetting: z.boolean(),
  createdAt: instant,
  updatedAt: instant,
});

export const campaignListResponse = z.strictObject({ status: z.literal(true), campaigns: z.array(campaign) });

export const campaignSavedResponse = z.strictObject({
  status: z.literal(true),
  campaign,
  counter: z.number().int().nullable(),
});

export const campaignStatsResponse = z.strictObject({
  status: z.literal(true),
  campaign,
  stats: z.strictObject({
    participants: z.number().int(),
    winners: z.number().int(),
    vouchersIssued: z.number().int(),
    vouchersPending: z.number().int(),
    counter: z.number().int().nullable(),
    remainingSlots: z.number().int().nullable(),
    freeSlots: z.number().int(),
    drift: z.strictObject({
      counterAheadOfWinners: z.number().int().nullable(),
      winnersMissingFromCounter: z.number().int(),
      limitMismatch: z.boolean(),
      winnersAboveLimit: z.boolean(),
    }),
  }),
});

export const campaignResetResponse = z.strictObject({
  status: z.literal(true),
  deleted: z.strictObject({ winners: z.number().int(), vouchers: z.number().int(), participations: z.number().int() }),
});

export const reconcileQueuedResponse = z.strictObject({ status: z.literal(true), queued: z.literal(true) });

export const auditResponse = z.strictObject({
  status: z.literal(true),
  entries: z.array(
    z.strictObject({
      actor: z.string(),
      action: z.string(),
      campaignId: z.string(),
      before: z.unknown(),
      after: z.unknown(),
      at: instant,
    }),
  ),
});
