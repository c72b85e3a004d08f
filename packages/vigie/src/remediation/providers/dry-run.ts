import { providerError } from './errors.js';
import type { MachineProvider, ProviderTarget, StepContext, StepResult } from './types.js';

/**
 * `MACHINE_PROVIDER=dry-run`: logs the step it would take and changes nothing. The ladder runs
 * as for real (streaks, cooldowns, history), so an operator can watch what failover would do
 * before giving it a Fly token.
 */
export class DryRunProvider implements MachineProvider {
  readonly kind = 'dry-run' as const;

  /** Logs "would restart". */
  async restart(target: ProviderTarget, ctx: StepContext): Promise<StepResult> {
    return this.wouldDo(target, ctx, 'restart', `restart worker ${target.workerId} in place`);
  }

  /** Logs "would move" to the first region other than the current one (none: PROVIDER_EXHAUSTED, as for real). */
  async moveRegion(target: ProviderTarget, regions: readonly string[], ctx: StepContext): Promise<StepResult> {
    const next = regions.find((r) => r !== target.region);
    // Nowhere to go is reported as the real providers report it: the ladder sees the same end.
    if (!next) throw providerError('PROVIDER_EXHAUSTED', `No region to move worker ${target.workerId} to: FAILOVER_REGIONS gives none other than ${target.region ?? 'its own'}.`);
    return this.wouldDo(target, ctx, 'region', `move worker ${target.workerId} from ${target.region ?? 'its region'} to ${next}`, { regions });
  }

  /** Logs "would switch". */
  async switchApp(target: ProviderTarget, app: string, ctx: StepContext): Promise<StepResult> {
    return this.wouldDo(target, ctx, 'app', `switch worker ${target.workerId} to app ${app}`, { app });
  }

  async close(): Promise<void> {}

  private wouldDo(target: ProviderTarget, ctx: StepContext, step: string, what: string, extra: Record<string, unknown> = {}): StepResult {
    ctx.signal.throwIfAborted();
    ctx.logger.info({ provider: 'dry-run', step, workerId: target.workerId, url: target.url, ...extra }, `dry-run: would ${what}; nothing changed`);
    return {
      url: target.url,
      region: target.region,
      name: target.name,
      app: target.flyApp,
      machineId: target.machineId,
      changed: false,
      detail: `dry-run: would ${what}; nothing changed`,
    };
  }
}
