import { z } from 'zod';

import { campaignIdSchema, printable } from './schemas';

const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

/** Every campaign field an operator may set; unknown fields are refused. */
const campaignFields = z.strictObject({
  name: printable(z.string().trim().min(1).max(120)),
  limit: z.number().int().min(1).max(10_000_000),
  discount: z.number().int().min(0).max(100),
  voucherType: z.string().regex(/^[A-Z0-9_]{1,64}$/, 'upper-case letters, digits and _, at most 64'),
  description: printable(z.string().trim().min(1).max(500)),
  startsAt: instant,
  endsAt: instant.nullable(),
  voucherValidityDays: z.number().int().min(1).max(3_650),
  paused: z.boolean(),
});

/** POST /admin/campaigns: the id is required, everything else has a default. */
export const createCampaignSchema = campaignFields.partial().extend({ id: campaignIdSchema });

/** PATCH /admin/campaigns/:id: any subset of the fields, at least one. */
export const updateCampaignSchema = campaignFields
  .partial()
  .refine((changes) => Object.keys(changes).length > 0, 'name at least one field to change');
