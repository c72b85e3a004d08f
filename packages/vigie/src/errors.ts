/**
 * Typed errors with stable codes. A `VigieError` is what users see: `code` is the contract
 * (scripts match on it), `message` says what happened and what to do next, `httpStatus` is the
 * answer an HTTP route gives for it.
 */
export class VigieError extends Error {
  override readonly name: string = 'VigieError';
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 500,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A bad setting: stops start-up with one message naming the key, the value and what is allowed. */
export class ConfigError extends VigieError {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super('CONFIG_INVALID', message, 400);
  }
}

/** True when `err` is a VigieError with the given code. */
export function hasCode(err: unknown, code: string): boolean {
  return err instanceof VigieError && err.code === code;
}
