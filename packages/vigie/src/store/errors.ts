import { VigieError } from '../errors.js';

/** Stable codes callers can branch on; messages are for humans and may change. */
export type StoreErrorCode =
  | 'STORE_UNREACHABLE'
  | 'STORE_UNAVAILABLE'
  | 'STORE_MIGRATION_FAILED'
  | 'STORE_INVALID_CONFIG'
  | 'SLOT_TAKEN'
  | 'FENCED'
  | 'UNKNOWN_WORKER';

/** The HTTP answer for each store failure: the database gone is 503 (retry later), a refused write 409. */
const HTTP_STATUS: Record<StoreErrorCode, number> = {
  STORE_UNREACHABLE: 503,
  STORE_UNAVAILABLE: 503,
  STORE_MIGRATION_FAILED: 500,
  STORE_INVALID_CONFIG: 400,
  SLOT_TAKEN: 409,
  FENCED: 409,
  UNKNOWN_WORKER: 404,
};

/** A store failure with a stable `code` and a message that says what to do next. */
export class StoreError extends VigieError {
  override readonly name = 'StoreError';
  declare readonly code: StoreErrorCode;
  /** Driver error code (e.g. ECONNREFUSED, 28P01), useful in logs; never holds secrets. */
  readonly detail: string | undefined;

  constructor(code: StoreErrorCode, message: string, detail?: string) {
    super(code, message, HTTP_STATUS[code]);
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
