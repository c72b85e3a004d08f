import type { VigieConfig } from '../../../config/load.js';
import type { Logger } from '../../../observability/logger.js';
import { FlyMachinesApi, type FlyApiOptions } from './api.js';

/** The Fly Machines client from FLY_API_URL and FLY_API_TOKEN (FLY_NOT_CONFIGURED without a token). */
export function flyApiFromConfig(
  config: Pick<VigieConfig, 'flyApiUrl' | 'flyApiToken'>,
  logger: Logger,
  overrides: Partial<Omit<FlyApiOptions, 'baseUrl' | 'token' | 'logger'>> = {},
): FlyMachinesApi {
  return new FlyMachinesApi({ ...overrides, baseUrl: config.flyApiUrl, token: config.flyApiToken ?? '', logger });
}
