import { VigieError, type ErrorCode } from '../../errors.js';

/** Codes every provider may throw, beside its own (FLY_* for `fly`); statuses and advice are the catalogue's. */
export type ProviderErrorCode = Extract<ErrorCode, `PROVIDER_${string}`>;

/**
 * A step that could not be tried: nowhere left to go (`PROVIDER_EXHAUSTED`: every region full
 * or already used, the address pool empty), a worker the provider cannot act on
 * (`PROVIDER_TARGET_INVALID`: no Fly app known), one it does not run (`PROVIDER_UNKNOWN_WORKER`),
 * one already in a step (`PROVIDER_BUSY`), or one that did not come back healthy (`PROVIDER_NOT_READY`).
 */
export function providerError(code: ProviderErrorCode, message: string, cause?: unknown): VigieError {
  return new VigieError(code, message, undefined, cause === undefined ? undefined : { cause });
}
