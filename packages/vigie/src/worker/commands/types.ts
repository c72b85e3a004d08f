import type { Logger } from 'pino';
import type { VigieConfig } from '../../config/load.js';
import type { Store } from '../../store/index.js';

/** The command types of the seed's worker protocol (public contract). */
export const COMMAND_TYPES = ['check-alerts', 'scrape', 'generate-cookies', 'custom'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

/** Who this worker is, as reported in health and logs. */
export interface WorkerIdentity {
  id: string;
  name: string;
  region: string;
  version: string;
}

/** What a handler may use while it runs. */
export interface CommandContext {
  /** Aborted when the command's deadline passes or the worker shuts down: stop work, release resources. */
  signal: AbortSignal;
  /** Epoch ms by which the answer is due. */
  deadline: number;
  logger: Logger;
  store: Store;
  config: VigieConfig;
  worker: WorkerIdentity;
}

/** Runs one command's payload and returns the answer's `data`; throws a VigieError to fail with its code. */
export type CommandHandler = (payload: unknown, ctx: CommandContext) => Promise<unknown>;

/** A named handler for `{ "type": "custom", "payload": { "name": ..., "data": ... } }`. */
export interface CustomCommand {
  name: string;
  /** One line shown by `/api/v1/worker/health` in the list of custom commands. */
  description?: string;
  run(data: unknown, ctx: CommandContext): Promise<unknown>;
}
