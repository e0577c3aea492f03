import type { OutcomeCode } from './domain/login-outcome';

/**
 * The ErrorCode catalogue: stable strings clients can branch on. Adding a code is fine; renaming or
 * removing one is a breaking change. HTTP statuses for them live in the HTTP adapter, not here.
 */
export const ERROR_CODES = {
  INVALID_REQUEST: 'The request body or parameters are invalid.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be JSON (Content-Type: application/json).',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  INVALID_CREDENTIALS: 'Account or password is incorrect.',
  INVALID_TOKEN: 'The bearer token is missing, malformed, expired or not ours.',
  RATE_LIMITED: 'Too many attempts; retry after the indicated delay.',
  SERVER_BUSY: 'Too many logins are being checked right now; retry after the indicated delay.',
  CAMPAIGN_NOT_FOUND: 'No campaign has this id.',
  CAMPAIGN_EXISTS: 'A campaign with this id exists already.',
  ADMIN_UNAUTHORIZED: 'Operator credentials are missing or wrong.',
  CROSS_SITE_REQUEST: 'This change was sent from another site and is refused.',
  CAMPAIGN_ID_REQUIRED: 'Too many campaigns are running to log in to all of them at once; name one with campaignId.',
  NOT_FOUND: 'No such route.',
  METHOD_NOT_ALLOWED: 'This method is not allowed on this route.',
  SERVICE_UNAVAILABLE: 'A store the answer depends on did not answer in time; retry after the indicated delay.',
  INTERNAL_ERROR: 'An unexpected error occurred.',
  // Business outcomes of a login: answered with HTTP 200 and status false.
  CAMPAIGN_FULL: 'All vouchers of this campaign have been handed out.',
  CAMPAIGN_NOT_ACTIVE: 'This campaign is not running at the moment.',
  CAMPAIGN_PAUSED: 'This campaign is paused; try again later.',
  NO_ACTIVE_CAMPAIGN: 'No campaign is running at the moment.',
  // Raised inside the system (workers, scripts, admin), never by the public login route.
  WINNER_NOT_FOUND: 'No winner record exists for this campaign and user.',
  CAMPAIGN_LIMIT_BELOW_COUNTER: 'The limit cannot go below the highest slot already handed out.',
  CAMPAIGN_CHANGED: 'The campaign was changed by someone else meanwhile; read it again and retry.',
  CAMPAIGN_RUNNING: 'This operation is refused while the campaign is running.',
  CAMPAIGN_NOT_ENDED:
    'Only an ended campaign can be reset (its end stored and past): end it first, then reset it, then schedule it again.',
  CAMPAIGN_RESETTING:
    'A reset of this campaign is under way; try again in a moment. If the reset stopped halfway (it answered an error), run it again.',
  CAMPAIGN_END_IN_PAST:
    'A campaign cannot be ended in the past: winners recorded since would fall after its end. To end it now, send the current time.',
  CONFIG_INVALID: 'The configuration is invalid.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Every code a claim can end with is in the catalogue (a compile-time check). */
const outcomeCodesAreCatalogued: OutcomeCode extends ErrorCode ? true : never = true;
void outcomeCodesAreCatalogued;

/** Codes no retry of a voucher job can fix: the job names no winner, or its campaign is gone. */
export const PERMANENT_JOB_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'WINNER_NOT_FOUND',
  'CAMPAIGN_NOT_FOUND',
]);

/** The one error type the application raises on purpose. Anything else is a bug or an outage. */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** Safe to show to the caller: no secrets, no raw input. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? ERROR_CODES[code], options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
