import type { VigieConfig } from '../config/load.js';
import type { Logger } from '../observability/logger.js';
import { createLockBackend } from './index.js';
import type { LockBackend } from './types.js';

/** The lock backend the settings ask for: REDIS_URL and LOCK_BACKEND (auto: Redis when configured). */
export function lockBackendFor(config: VigieConfig, logger: Logger): LockBackend {
  return createLockBackend({
    dataDir: config.dataDir,
    logger,
    ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
    ...(config.lockBackend !== 'auto' ? { mode: config.lockBackend } : {}),
  });
}
