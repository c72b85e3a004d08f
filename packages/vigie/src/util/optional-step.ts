import type { Logger } from '../observability/logger.js';
import { withDeadline } from './deadline.js';

/**
 * Runs a step the flow can do without (the seed's R2 offload: archiving, a cache refresh, a
 * courtesy notification): bounded by `timeoutMs`, and when it fails or overruns a WARNING is
 * logged and the flow goes on with `fallback`. Never for a step whose result the flow needs.
 */
export async function optionalStep<T>(
  name: string,
  step: (signal: AbortSignal) => Promise<T>,
  opts: { logger: Logger; timeoutMs: number; fallback: T },
): Promise<T> {
  try {
    return await withDeadline(opts.timeoutMs, step, () => new Error(`timed out after ${opts.timeoutMs} ms`));
  } catch (err) {
    opts.logger.warn({ step: name, err: err instanceof Error ? err.message : String(err) }, `WARNING: optional step "${name}" failed; continuing without it`);
    return opts.fallback;
  }
}
