import { VigieError, type ErrorCode } from '../../../errors.js';

/**
 * Stable codes of the Fly Machines client (in the catalogue, errors.ts). Scripts and the
 * failover ladder match on them: `FLY_CAPACITY` means "try another region", `FLY_LEASE_HELD`
 * "someone else is acting on this machine, wait", the others are failures of the step.
 */
export type FlyErrorCode = Extract<ErrorCode, `FLY_${string}`>;

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
    super(code, message, undefined, options);
  }
}

/** True when `err` is a FlyApiError with the given code. */
export function isFlyError(err: unknown, code?: FlyErrorCode): err is FlyApiError {
  return err instanceof FlyApiError && (code === undefined || err.code === code);
}
