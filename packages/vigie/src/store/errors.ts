import { VigieError } from '../errors.js';

/** Stable codes callers can branch on; messages are for humans and may change. */
export type StoreErrorCode =
  | 'STORE_UNAVAILABLE'
  | 'STORE_MIGRATION_FAILED'
  | 'STORE_INVALID_CONFIG'
  | 'SLOT_TAKEN'
  | 'FENCED'
  | 'UNKNOWN_WORKER';

/**
 * A store failure with a stable `code` and a message that says what to do next. A VigieError,
 * so that a route answers it with the catalogue's status: the database gone is 503 (serve again
 * once it is back), a refused write (FENCED, SLOT_TAKEN) 409.
 */
export class StoreError extends VigieError {
  override readonly name = 'StoreError';
  declare readonly code: StoreErrorCode;
  /** Driver error code (e.g. ECONNREFUSED, 28P01), useful in logs; never holds secrets. */
  readonly detail: string | undefined;

  constructor(code: StoreErrorCode, message: string, detail?: string) {
    super(code, message);
    this.detail = detail;
  }
}

/** True when `err` is a StoreError (with the given code, if any). */
export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

/** True for a foreign-key violation on either backend. */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}
