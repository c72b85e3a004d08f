import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS dependency loaded on first use instead of at start-up. For the dependencies only
 * some setups need (pg with DATABASE_URL, ioredis with REDIS_URL, yaml for a YAML config file,
 * pino-pretty on a terminal): loaded at start-up they cost every coordinator 10–25 MB of RSS each
 * (bench/scale/README.md, "Where the memory goes"). Types come from `import type`, which
 * TypeScript erases, so nothing loads until the returned function is first called.
 */
export function lazyModule<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
