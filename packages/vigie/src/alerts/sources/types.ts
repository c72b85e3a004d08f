import type { Dispatcher } from 'undici';
import { VigieError, type ErrorCode } from '../../errors.js';
import type { Alert } from '../../store/index.js';
import type { Item } from '../../wire/check-alerts.js';

/** What a source's search may use: the scraping credential, the command's signal, a time bound. */
export interface SourceContext {
  /** The scraping credential from the store (already registered as a secret): never put it in a message. */
  credential: string;
  /** Aborted when the command is abandoned: stop at once. */
  signal: AbortSignal;
  /** Upper bound of this one request, headers and body included. */
  timeoutMs: number;
}

/** A place alerts are searched in (a marketplace's API, a site): one adapter instance per configured source. */
export interface Source {
  /** The source's name in the config file's `sources`, matched against `alert.source`. */
  readonly name: string;
  /** The items the source lists for `alert` (unfiltered); throws an UpstreamError on failure. */
  search(alert: Alert, ctx: SourceContext): Promise<Item[]>;
}

/** Options shared by every adapter a factory builds. */
export interface SourceFactoryOptions {
  /** undici dispatcher for outbound requests (e.g. an Agent bound to this worker's source address). */
  dispatcher?: Dispatcher;
}

/** Builds sources of one `type` from their raw config definitions. */
export interface SourceFactory {
  /** The `type` value of the definitions this factory understands, e.g. `http-json`. */
  readonly type: string;
  /** Validates `definition` and builds the source; throws ConfigError naming the source and the field. */
  create(name: string, definition: unknown, opts: SourceFactoryOptions): Source;
}

export type UpstreamErrorCode = Extract<ErrorCode, `UPSTREAM_${string}`>;

/**
 * A source (or any upstream a worker calls) failed. `status` is the upstream's own HTTP status
 * (null when there was none: timeout, network error); `httpStatus` is what the worker answers.
 */
export class UpstreamError extends VigieError {
  override readonly name = 'UpstreamError';
  override readonly code: UpstreamErrorCode;
  readonly status: number | null;
  /** How long the upstream asked us to wait (429 `Retry-After`), if it said. */
  readonly retryAfterMs: number | undefined;

  constructor(code: UpstreamErrorCode, message: string, opts: { status?: number | null; retryAfterMs?: number; cause?: unknown } = {}) {
    super(code, message, undefined, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.status = opts.status ?? null;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** True when `err` is an UpstreamError with the given code. */
export function isUpstreamError(err: unknown, code?: UpstreamErrorCode): err is UpstreamError {
  return err instanceof UpstreamError && (code === undefined || err.code === code);
}
