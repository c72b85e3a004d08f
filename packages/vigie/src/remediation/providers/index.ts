import type { VigieConfig } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { DryRunProvider } from './dry-run.js';
import { flyApiFromConfig } from './fly/from-config.js';
import { FlyProvider } from './fly/provider.js';
import { LocalProvider, type LocalWorkerSupervisor } from './local.js';
import type { MachineProvider } from './types.js';

export type { MachineProvider, ProviderTarget, StepContext, StepKind, StepProgress, StepResult } from './types.js';
export type { LocalWorkerSupervisor } from './local.js';

/** What a provider may need besides the config. */
export interface ProviderDeps {
  readonly logger: Logger;
  /** The workers of `vigie up` (required by `local`). */
  readonly supervisor?: LocalWorkerSupervisor | undefined;
}

type ProviderConfig = Pick<VigieConfig, 'machineProvider' | 'flyApiUrl' | 'flyApiToken' | 'flyApp' | 'flyWorkerUrlTemplate'>;

/** The provider MACHINE_PROVIDER names, checked now (a missing token or supervisor fails at start-up, not at the first failover). */
export function createMachineProvider(config: ProviderConfig, deps: ProviderDeps): MachineProvider {
  switch (config.machineProvider) {
    case 'dry-run':
      return new DryRunProvider();
    case 'fly':
      return new FlyProvider({ api: flyApiFromConfig(config, deps.logger), urlTemplate: config.flyWorkerUrlTemplate, defaultApp: config.flyApp });
    case 'local':
      if (!deps.supervisor) {
        throw new ConfigError('MACHINE_PROVIDER=local heals the local workers of `vigie up` only; for workers running elsewhere set MACHINE_PROVIDER=fly (Fly.io Machines) or dry-run.');
      }
      return new LocalProvider({ supervisor: deps.supervisor });
  }
}
