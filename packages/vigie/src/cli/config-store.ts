import type { Command } from 'commander';
import type { VigieConfig } from '../config/load.js';
import { SETTINGS, type Setting } from '../config/settings.js';
import { parseRuntimeValue, RUNTIME_KEYS, runtimeEffect, runtimeKey, type RuntimeKey, type RuntimeSettings } from '../config-store/runtime-keys.js';
import type { ConfigStore } from '../config-store/store.js';
import { sameValue } from '../config-store/types.js';
import { action, cliLogger, configFrom } from './common.js';

/** Where an effective run-time value comes from. */
type ValueSource = 'store' | 'config' | 'default' | 'unset';

/**
 * `vigie config get|set|unset|migrate`, added to the existing `vigie config` command: the
 * run-time settings that reach every coordinator without a restart.
 */
export function registerConfigStoreCommands(config: Command): void {
  config
    .command('get [key]')
    .description(`show run-time settings with where each value comes from (store, config, default); keys: ${RUNTIME_KEYS.join(', ')}`)
    .action(
      action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
        const key = name === undefined ? undefined : runtimeKey(name);
        await withStore(cmd, async (store, cfg) => {
          const settings = await store.all();
          if (key) {
            print({ key, ...row(key, settings, cfg), backend: store.source() });
            return;
          }
          const rows: Record<string, unknown> = {};
          for (const k of RUNTIME_KEYS) rows[k] = row(k, settings, cfg);
          print({ mode: store.mode, backend: store.source(), settings: rows });
        });
      }),
    );

  config
    .command('set <key> <value>')
    .description('change a run-time setting (validated; lists are comma-separated); says whether running coordinators apply it (`applies`: live), or it is read only at start, or not read yet')
    .action(
      action(async (name: string, raw: string, _opts: unknown, cmd: Command) => {
        const key = runtimeKey(name);
        // A bad value is refused before any connection is made.
        parseRuntimeValue(key, raw);
        await withStore(cmd, async (store) => {
          const value = await store.set(key, raw);
          const s: Setting = SETTINGS[key];
          print({ key, value, applies: s.applies, effect: runtimeEffect(key), backend: store.source(), ...scope(store) });
        });
      }),
    );

  config
    .command('unset <key>')
    .description('remove a run-time setting: the config file, env or default applies again')
    .action(
      action(async (name: string, _opts: unknown, cmd: Command) => {
        const key = runtimeKey(name);
        await withStore(cmd, async (store, cfg) => {
          await store.unset(key);
          const settings = await store.all();
          print({ key, removed: true, now: row(key, settings, cfg), backend: store.source(), ...scope(store) });
        });
      }),
    );

  config
    .command('migrate')
    .description('copy run-time settings (file store, and config file/env values that differ from defaults) into Redis')
    .option('--verify', 're-read Redis after the copy and compare every value (exit 1 on a mismatch)')
    .option('--require-redis', 'fail (exit 2) when REDIS_URL is unset or Redis is unreachable, instead of doing nothing')
    .action(
      action(async (opts: { verify?: boolean; requireRedis?: boolean }, cmd: Command) => {
        const cfg = configFrom(cmd);
        const logger = cliLogger(cfg, { cmd: 'config migrate' });
        // Loaded here: ioredis and the backends are not needed by `vigie --help` or `config check`.
        const [{ createFileBackend }, { createRedisBackend }, { migrateToRedis }] = await Promise.all([
          import('../config-store/file-backend.js'),
          import('../config-store/redis-backend.js'),
          import('../config-store/migrate.js'),
        ]);
        const file = createFileBackend({ dataDir: cfg.dataDir });
        const redis = cfg.redisUrl ? createRedisBackend({ url: cfg.redisUrl, prefix: cfg.configStoreRedisPrefix, logger }) : undefined;
        try {
          const report = await migrateToRedis({
            file,
            redis,
            config: cfg,
            mode: cfg.configStoreMode,
            verify: opts.verify === true,
            requireRedis: opts.requireRedis === true,
            logger,
          });
          print(report);
          if (!report.ok) {
            process.stderr.write(`vigie: verification failed: Redis does not hold ${report.mismatches.map((m) => m.key).join(', ')} as copied. Run the migration again, and check that nothing else writes ${cfg.configStoreRedisPrefix}settings. [CONFIG_MIGRATE_MISMATCH]\n`);
            process.exitCode = 1;
          }
        } finally {
          await Promise.all([file.close(), redis?.close()]);
        }
      }),
    );
}

async function withStore(cmd: Command, fn: (store: ConfigStore, cfg: VigieConfig) => Promise<void>): Promise<void> {
  const cfg = configFrom(cmd);
  const logger = cliLogger(cfg, { cmd: 'config' });
  // A one-shot command reads and writes; it does not follow changes.
  const { openConfigStore } = await import('../config-store/from-config.js');
  const store = await openConfigStore(cfg, logger, { watch: false });
  try {
    await fn(store, cfg);
  } finally {
    await store.close();
  }
}

function row(key: RuntimeKey, settings: RuntimeSettings, cfg: VigieConfig): { value: unknown; source: ValueSource } {
  if (key in settings) return { value: settings[key], source: 'store' };
  const value = cfg[key];
  if (value === undefined) return { value: null, source: 'unset' };
  const s: Setting = SETTINGS[key];
  return { value, source: sameValue(value, s.default) ? 'default' : 'config' };
}

function scope(store: ConfigStore): { note?: string } {
  return store.hasRedis ? {} : { note: 'no REDIS_URL: stored in the data folder, so it reaches the coordinators of this host only' };
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
