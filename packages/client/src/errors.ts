/** Why a whole request (or stream) stopped. Stable: callers switch on it. */
export type ClientErrorCode =
  | 'ALL_NODES_FAILED'
  | 'NOT_RETRYABLE'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CLOSED'
  | 'NO_NODES'
  | 'NODE_FAILED'
  | 'HTTP_ERROR'
  | 'INVALID_RESPONSE'
  | 'STREAM_REJECTED'
  | 'INVALID_ARGUMENT';

/** Why one attempt on one node failed. */
export type AttemptErrorCode =
  | 'CONNECTION_REFUSED'
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'HTTP_STATUS'
  | 'RATE_LIMITED';

/** One failed attempt, as kept in `VigieClientError.attempts`. */
export interface AttemptFailure {
  /** Base URL of the node the attempt went to. */
  readonly node: string;
  /** Index of that node when the attempt started. */
  readonly nodeIndex: number;
  readonly code: AttemptErrorCode;
  /** HTTP status when the node answered (5xx, 429). */
  readonly status?: number;
  /** Underlying error (fetch rejection, abort reason) when there was no answer. */
  readonly error?: unknown;
  /** False only when the connection was provably never made (refused, DNS failure). */
  readonly reachedServer: boolean;
  readonly durationMs: number;
}

interface ErrorInit {
  attempts?: readonly AttemptFailure[];
  cause?: unknown;
  status?: number;
  body?: unknown;
  response?: Response;
}

/** The only error type the client throws; `code` is stable, `attempts` lists every failed try. */
export class VigieClientError extends Error {
  override readonly name = 'VigieClientError';
  readonly code: ClientErrorCode;
  readonly attempts: readonly AttemptFailure[];
  /** HTTP status for HTTP_ERROR (JSON helpers) and for NOT_RETRYABLE after a 5xx. */
  readonly status: number | undefined;
  /** Parsed body of a non-2xx answer (JSON helpers). */
  readonly body: unknown;
  /** The unread answer, kept when a non-idempotent request got a 5xx the caller may want to read. */
  readonly response: Response | undefined;

  constructor(code: ClientErrorCode, message: string, init: ErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.attempts = init.attempts ?? [];
    this.status = init.status;
    this.body = init.body;
    this.response = init.response;
  }
}

/** Type guard that also works across bundles (checks the shape, not the prototype). */
export function isVigieClientError(value: unknown): value is VigieClientError {
  return (
    value instanceof VigieClientError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'VigieClientError' &&
      typeof (value as { code?: unknown }).code === 'string')
  );
}

/** Readable one-line summary of the attempts, used in error messages. */
export function describeAttempts(attempts: readonly AttemptFailure[]): string {
  return attempts
    .map((a) => `${a.node} → ${a.code}${a.status === undefined ? '' : ` ${a.status}`}`)
    .join('; ');
}
