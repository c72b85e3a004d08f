import { VigieError } from '../../../errors.js';

/**
 * Stable codes of the Fly Machines client. Scripts and the failover ladder match on them:
 * `FLY_CAPACITY` means "try another region", `FLY_LEASE_HELD` "someone else is acting on this
 * machine, wait", the others are failures of the step.
 */
export type FlyErrorCode =
  | 'FLY_NOT_CONFIGURED'
  | 'FLY_UNAUTHORIZED'
  | 'FLY_NOT_FOUND'
  | 'FLY_CAPACITY'
  | 'FLY_LEASE_HELD'
  | 'FLY_RATE_LIMITED'
  | 'FLY_UNAVAILABLE'
  | 'FLY_TIMEOUT'
  | 'FLY_API_ERROR'
  | 'FLY_MACHINE_AMBIGUOUS';

const HTTP_STATUS: Record<FlyErrorCode, number> = {
  FLY_NOT_CONFIGURED: 400,
  FLY_UNAUTHORIZED: 502,
  FLY_NOT_FOUND: 404,
  FLY_CAPACITY: 503,
  FLY_LEASE_HELD: 409,
  FLY_RATE_LIMITED: 503,
  FLY_UNAVAILABLE: 502,
  FLY_TIMEOUT: 504,
  FLY_API_ERROR: 502,
  FLY_MACHINE_AMBIGUOUS: 409,
};

/** A failed Fly API call: a stable code, the call, and Fly's request id to quote to Fly's support. */
export class FlyApiError extends VigieError {
  override readonly name = 'FlyApiError';
  declare readonly code: FlyErrorCode;
  constructor(
    code: FlyErrorCode,
    message: string,
    readonly details: {
      /** `fly-request-id` of the failed answer, when there was one. */
      readonly requestId?: string | undefined;
      /** HTTP status Fly answered, when it answered. */
      readonly status?: number | undefined;
      /** `METHOD /apps/…` (never the token, never the base URL's credentials). */
      readonly call?: string | undefined;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, HTTP_STATUS[code], options);
  }
}

/** True when `err` is a FlyApiError with the given code. */
export function isFlyError(err: unknown, code?: FlyErrorCode): err is FlyApiError {
  return err instanceof FlyApiError && (code === undefined || err.code === code);
}
