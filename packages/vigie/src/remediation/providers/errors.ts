import { VigieError } from '../../errors.js';

/** Codes every provider may throw, beside its own (FLY_* for `fly`). */
export type ProviderErrorCode = 'PROVIDER_EXHAUSTED' | 'PROVIDER_TARGET_INVALID' | 'PROVIDER_UNKNOWN_WORKER' | 'PROVIDER_BUSY' | 'PROVIDER_NOT_READY';

const HTTP_STATUS: Record<ProviderErrorCode, number> = {
  PROVIDER_EXHAUSTED: 409,
  PROVIDER_TARGET_INVALID: 400,
  PROVIDER_UNKNOWN_WORKER: 404,
  PROVIDER_BUSY: 409,
  PROVIDER_NOT_READY: 504,
};

/**
 * A step that could not be tried: nowhere left to go (`PROVIDER_EXHAUSTED`: every region full
 * or already used, the address pool empty), a worker the provider cannot act on
 * (`PROVIDER_TARGET_INVALID`: no Fly app known), one it does not run (`PROVIDER_UNKNOWN_WORKER`),
 * one already in a step (`PROVIDER_BUSY`), or one that did not come back healthy (`PROVIDER_NOT_READY`).
 */
export function providerError(code: ProviderErrorCode, message: string, cause?: unknown): VigieError {
  return new VigieError(code, message, HTTP_STATUS[code], cause === undefined ? undefined : { cause });
}
