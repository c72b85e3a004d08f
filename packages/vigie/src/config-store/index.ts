/** The config store: run-time settings in Redis (or a file), changed live by `vigie config set`. */
export {
  RUNTIME_KEYS,
  crossFieldProblem,
  effectiveRuntime,
  isRuntimeKey,
  parseRuntimeValue,
  runtimeDefault,
  runtimeKey,
  type EffectiveRuntime,
  type RuntimeKey,
  type RuntimeSettings,
  type RuntimeValue,
} from './runtime-keys.js';
export { CONFIG_STORE_CORRUPT, CONFIG_STORE_UNAVAILABLE, type ConfigBackend } from './types.js';
export { createFileBackend, FileConfigBackend, RUNTIME_CONFIG_FILE, type FileBackendOptions } from './file-backend.js';
export { createRedisBackend, DEFAULT_CONFIG_PREFIX, RedisConfigBackend, type RedisBackendOptions } from './redis-backend.js';
export {
  createConfigStore,
  type ConfigChangeListener,
  type ConfigStore,
  type ConfigStoreMode,
  type ConfigStoreOptions,
} from './store.js';
export {
  migrateToRedis,
  REDIS_REQUIRED,
  verifyInRedis,
  type CopiedSetting,
  type MigrateOptions,
  type MigrateReport,
  type Mismatch,
  type SkippedSetting,
} from './migrate.js';
export { openConfigStore } from './from-config.js';
