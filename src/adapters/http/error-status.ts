import type { ErrorCode } from '../../errors';

/**
 * The one table from error codes to HTTP statuses. Business outcomes of a login (full, paused, ...) are
 * answers, not failures: they travel with 200 and status false.
 */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  INVALID_CREDENTIALS: 401,
  CAMPAIGN_NOT_FOUND: 404,
  CAMPAIGN_EXISTS: 409,
  ADMIN_UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
  CAMPAIGN_FULL: 200,
  ALREADY_PARTICIPATED: 200,
  CAMPAIGN_NOT_ACTIVE: 200,
  CAMPAIGN_PAUSED: 200,
  NO_ACTIVE_CAMPAIGN: 200,
  WINNER_NOT_FOUND: 404,
  CAMPAIGN_LIMIT_BELOW_COUNTER: 409,
  CAMPAIGN_RUNNING: 409,
  CONFIG_INVALID: 500,
};
