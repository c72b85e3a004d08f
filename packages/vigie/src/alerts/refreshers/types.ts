import type { Dispatcher } from 'undici';
import { VigieError } from '../../errors.js';

/** What a refresher may use while it runs. */
export interface RefresherContext {
  /** Aborted when the command is abandoned. */
  signal: AbortSignal;
  /** Where `$ENV:NAME` references are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Produces a fresh scraping credential (a cookie header, a token) for the store. */
export interface Refresher {
  /** The refresher's name in the config file's `refreshers`. */
  readonly name: string;
  /** The stored credential it refreshes; default the worker's SCRAPING_CREDENTIAL. */
  readonly credentialName?: string | undefined;
  /** Obtains a new credential value; throws RefreshError (REFRESH_FAILED) when none comes back. */
  refresh(ctx: RefresherContext): Promise<{ value: string }>;
}

/** Options shared by every refresher a factory builds. */
export interface RefresherFactoryOptions {
  dispatcher?: Dispatcher;
}

/** Builds refreshers of one `type` from their raw config definitions. */
export interface RefresherFactory {
  readonly type: string;
  /** Validates `definition` and builds the refresher; throws ConfigError naming the refresher and the field. */
  create(name: string, definition: unknown, opts: RefresherFactoryOptions): Refresher;
}

/** A refresher could not obtain a credential; the message names the HTTP status or the missing piece, never a secret. */
export class RefreshError extends VigieError {
  override readonly name = 'RefreshError';
  constructor(message: string, httpStatus = 502, options?: { cause?: unknown }) {
    super('REFRESH_FAILED', message, httpStatus, options);
  }
}
