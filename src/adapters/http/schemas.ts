import { z } from 'zod';

import { CAMPAIGN_ID_PATTERN } from '../../domain/campaign';

/**
 * No control or invisible formatting characters (NUL, escapes, zero-width and bidi overrides): they have
 * no place in a name, some databases refuse them, and they make one name look like another. No unpaired
 * UTF-16 surrogates either (JSON's "\ud800"): stored or sent as UTF-8 each becomes U+FFFD, so several
 * spellings would be one name to the database and to Redis but several to this process.
 */
export const printable = (schema: z.ZodString) =>
  schema.regex(/^[^\p{Cc}\p{Cf}]*$/u, 'no control characters').regex(/^\P{Cs}*$/u, 'no unpaired surrogates');

/** An account is an email, a phone number or a username. */
export const accountSchema = printable(z.string().trim().min(1).max(254));
export const passwordSchema = z.string().min(1).max(256);
export const campaignIdSchema = z
  .string()
  .regex(CAMPAIGN_ID_PATTERN, 'letters, digits, ".", "_" or "-" (no "{", "}" or ":"), at most 64');

/** The seed's login: account and password in the body. */
export const loginRequestSchema = z.strictObject({
  account: accountSchema,
  password: passwordSchema,
  campaignId: campaignIdSchema.optional(),
});

/** With `Authorization: Bearer <JWT>` the token says who; the body only which campaign (or none). */
export const tokenLoginRequestSchema = z.strictObject({ campaignId: campaignIdSchema.optional() });
