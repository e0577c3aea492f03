import { z } from 'zod';

import { createCampaignSchema, updateCampaignSchema } from './admin-schemas';
import * as responses from './response-schemas';
import { loginRequestSchema, tokenLoginRequestSchema } from './schemas';

/** A JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) for a zod schema; `input` for request bodies. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete generated.$schema; // the document's dialect applies
  return generated;
}

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema: jsonSchema(schema) } },
});
const error = (description: string) => json(responses.errorResponse, description);
const body = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: jsonSchema(schema, 'input') } },
});
/** Sent with every 429 and 503: how many seconds to wait before trying again. */
const retryAfter = { 'Retry-After': { required: true, schema: { type: 'integer', minimum: 1 } } };
const withRetryAfter = (description: string) => ({ ...error(description), headers: retryAfter });
const unavailable = withRetryAfter(
  'A dependency did not answer in time (SERVICE_UNAVAILABLE); retry after Retry-After',
);
const userLimited = withRetryAfter(
  'Too many attempts from this address or for this user (RATE_LIMITED); retry after Retry-After',
);
const admin = [{ adminBasic: [] }, { adminToken: [] }];
const campaignId = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
};
const adminErrors = {
  '400': error('Invalid input (INVALID_REQUEST)'),
  '401': error('Missing or wrong operator credentials (ADMIN_UNAUTHORIZED)'),
  '404': error('No such campaign (CAMPAIGN_NOT_FOUND)'),
  '429': withRetryAfter(
    'This address sent wrong operator credentials too often; refused, even with the right ones, until Retry-After (RATE_LIMITED)',
  ),
  '503': unavailable,
};
/** Every admin write: JSON only (even without a body), and never on another site's behalf. */
const adminWriteErrors = {
  ...adminErrors,
  '403': error('Sent from another site: Origin or Sec-Fetch-Site not ours (CROSS_SITE_REQUEST)'),
  '415': error('Not Content-Type: application/json (UNSUPPORTED_MEDIA_TYPE)'),
};

/** The OpenAPI 3.1 document of the public and admin APIs, served at /openapi.json. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Promotion service',
      version: '1.0.0',
      description: 'First N users of a campaign win a voucher. Error codes are stable; see the README.',
    },
    components: {
      securitySchemes: {
        userBasic: { type: 'http', scheme: 'basic', description: 'The user account and password.' },
        userJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A token from the app's login service (JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL); its sub is the userId.",
        },
        adminBasic: { type: 'http', scheme: 'basic', description: 'ADMIN_USERNAME / ADMIN_PASSWORD.' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN.' },
      },
    },
    paths: {
      '/api/login-campaign': {
        post: {
          operationId: 'loginToCampaign',
          summary: 'Log in, and claim a slot in one campaign or in every campaign running now',
          description:
            'Either account and password in the body (no Authorization header), or a bearer JWT that says who, with at most {campaignId} in the body.',
          security: [{}, { userJwt: [] }],
          requestBody: {
            required: false, // a token login may send none
            content: {
              'application/json': {
                schema: {
                  oneOf: [jsonSchema(loginRequestSchema, 'input'), jsonSchema(tokenLoginRequestSchema, 'input')],
                },
              },
            },
          },
          responses: {
            '200': json(responses.loginResponse, 'Every decided outcome; status says whether the user holds a voucher'),
            '400': error(
              'Invalid input (INVALID_REQUEST), or no campaignId while more campaigns run than one login may claim in (CAMPAIGN_ID_REQUIRED)',
            ),
            '401': error(
              'Unknown account or wrong password (INVALID_CREDENTIALS), or a bad bearer token (INVALID_TOKEN)',
            ),
            '404': error('No such campaign (CAMPAIGN_NOT_FOUND)'),
            '413': error('Body too large (PAYLOAD_TOO_LARGE)'),
            '415': error('Body not JSON (UNSUPPORTED_MEDIA_TYPE)'),
            '429': userLimited,
            '503': {
              description:
                'The claim could not be decided (SERVICE_UNAVAILABLE), or too many logins are being checked (SERVER_BUSY); retry after Retry-After',
              headers: retryAfter,
              content: {
                'application/json': {
                  schema: { oneOf: [jsonSchema(responses.loginResponse), jsonSchema(responses.errorResponse)] },
                },
              },
            },
          },
        },
      },
      '/api/vouchers': {
        get: {
          operationId: 'listMyVouchers',
          summary: "The caller's vouchers",
          security: [{ userBasic: [] }, { userJwt: [] }],
          responses: {
            '200': json(responses.vouchersResponse, 'Vouchers, pending, issued or expired'),
            '401': error('Missing or wrong credentials (INVALID_CREDENTIALS), or a bad bearer token (INVALID_TOKEN)'),
            '429': userLimited,
            '503': withRetryAfter(
              'A dependency did not answer in time (SERVICE_UNAVAILABLE), or too many logins are being checked (SERVER_BUSY); retry after Retry-After',
            ),
          },
        },
      },
      '/health': {
        get: {
          operationId: 'checkHealth',
          summary: 'The process is alive',
          responses: { '200': json(responses.healthResponse, 'Alive') },
        },
      },
      '/ready': {
        get: {
          operationId: 'checkReadiness',
          summary: 'Redis and MongoDB answer',
          responses: {
            '200': json(responses.readyResponse, 'Ready'),
            '503': {
              ...json(responses.readyResponse, 'A dependency does not answer, or shutting down'),
              headers: retryAfter,
            },
          },
        },
      },
      '/admin/campaigns': {
        get: {
          operationId: 'listCampaigns',
          summary: 'List campaigns',
          security: admin,
          responses: {
            '200': json(responses.campaignListResponse, 'Campaigns, newest first'),
            '401': adminErrors['401'],
            '429': adminErrors['429'],
          },
        },
        post: {
          operationId: 'createCampaign',
          summary: 'Create a campaign (its counter starts at 0)',
          security: admin,
          requestBody: body(createCampaignSchema),
          responses: {
            '201': json(responses.campaignSavedResponse, 'Created'),
            '400': adminErrors['400'],
            '401': adminErrors['401'],
            '403': adminWriteErrors['403'],
            '409': error('The id is taken (CAMPAIGN_EXISTS)'),
            '415': adminWriteErrors['415'],
            '429': adminErrors['429'],
            '503': adminErrors['503'],
          },
        },
      },
      '/admin/campaigns/{id}': {
        parameters: [campaignId],
        get: {
          operationId: 'getCampaign',
          summary: 'A campaign with live statistics and drift between Redis and MongoDB',
          security: admin,
          responses: { '200': json(responses.campaignStatsResponse, 'The campaign and its figures'), ...adminErrors },
        },
        patch: {
          operationId: 'updateCampaign',
          summary: 'Change a campaign; a limit below the slots handed out is refused',
          security: admin,
          requestBody: body(updateCampaignSchema),
          responses: {
            '200': json(responses.campaignSavedResponse, 'Changed'),
            ...adminWriteErrors,
            '409': error(
              'The limit is below the slots handed out (CAMPAIGN_LIMIT_BELOW_COUNTER), the end is more than 5 s in the past (CAMPAIGN_END_IN_PAST), someone else changed it meanwhile (CAMPAIGN_CHANGED), or a reset is under way (CAMPAIGN_RESETTING)',
            ),
          },
        },
      },
      '/admin/campaigns/{id}/pause': {
        parameters: [campaignId],
        post: {
          operationId: 'pauseCampaign',
          summary: 'Pause',
          security: admin,
          responses: {
            '200': json(responses.campaignSavedResponse, 'Paused'),
            ...adminWriteErrors,
            '409': error(
              'Someone else changed it meanwhile (CAMPAIGN_CHANGED), or a reset is under way (CAMPAIGN_RESETTING)',
            ),
          },
        },
      },
      '/admin/campaigns/{id}/resume': {
        parameters: [campaignId],
        post: {
          operationId: 'resumeCampaign',
          summary: 'Resume',
          security: admin,
          responses: {
            '200': json(responses.campaignSavedResponse, 'Resumed'),
            ...adminWriteErrors,
            '409': error(
              'Someone else changed it meanwhile (CAMPAIGN_CHANGED), or a reset is under way (CAMPAIGN_RESETTING)',
            ),
          },
        },
      },
      '/admin/campaigns/{id}/reset': {
        parameters: [campaignId],
        post: {
          operationId: 'resetCampaign',
          summary: "Delete the campaign's results and set its counter to 0 (only once it has ended)",
          security: admin,
          responses: {
            '200': json(responses.campaignResetResponse, 'Reset'),
            ...adminWriteErrors,
            '409': error(
              'The campaign is running (CAMPAIGN_RUNNING) or has not ended (CAMPAIGN_NOT_ENDED), was changed while the reset began (CAMPAIGN_CHANGED), or another reset is under way (CAMPAIGN_RESETTING)',
            ),
          },
        },
      },
      '/admin/campaigns/{id}/reconcile': {
        parameters: [campaignId],
        post: {
          operationId: 'reconcileCampaign',
          summary: 'Ask the workers to reconcile the campaign now',
          security: admin,
          responses: { '202': json(responses.reconcileQueuedResponse, 'Queued'), ...adminWriteErrors },
        },
      },
      '/admin/campaigns/{id}/audit': {
        parameters: [campaignId],
        get: {
          operationId: 'listCampaignAudit',
          summary: "The campaign's audit log, newest first",
          security: admin,
          responses: { '200': json(responses.auditResponse, 'Entries'), ...adminErrors },
        },
      },
      '/admin/campaigns/{id}/winners.csv': {
        parameters: [campaignId],
        get: {
          operationId: 'exportCampaignWinners',
          summary: 'Winners by slot as CSV (streamed)',
          security: admin,
          responses: {
            '200': {
              description: 'slot,userId,account,voucherCode,wonAt,voucherStatus',
              content: { 'text/csv': { schema: { type: 'string' } } },
            },
            ...adminErrors,
          },
        },
      },
      '/admin/queues': {
        get: {
          operationId: 'openQueueDashboard',
          summary: 'Bull Board (HTML)',
          security: admin,
          responses: {
            '200': { description: 'The dashboard', content: { 'text/html': { schema: { type: 'string' } } } },
            '401': adminErrors['401'],
            '429': adminErrors['429'],
          },
        },
      },
    },
  };
}
