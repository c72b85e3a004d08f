import type { VigieConfig } from '../config/load.js';
import type { Logger } from '../observability/logger.js';
import { createConfigStore, type ConfigStore, type ConfigStoreOptions } from './store.js';

/** Opens the config store that `config` describes (CONFIG_STORE_MODE, REDIS_URL, CONFIG_STORE_REDIS_PREFIX, VIGIE_DATA_DIR). */
export function openConfigStore(
  config: VigieConfig,
  logger: Logger,
  extra: Partial<Pick<ConfigStoreOptions, 'watch' | 'refreshIntervalMs' | 'timeoutMs' | 'watchIntervalMs'>> = {},
): Promise<ConfigStore> {
  return createConfigStore({
    mode: config.configStoreMode,
    redisUrl: config.redisUrl,
    prefix: config.configStoreRedisPrefix,
    dataDir: config.dataDir,
    logger,
    base: config,
    ...extra,
  });
}
