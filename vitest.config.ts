import { defineConfig } from 'vitest/config';

/** Tests that pause processes (SIGSTOP) and time what happens: they run alone, after the others (vitest.serial.config.ts). */
export const SERIAL_TESTS = 'packages/*/test/**/*.serial.test.ts';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['**/node_modules/**', SERIAL_TESTS],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores on CI: integration tests start real processes, keep them from starving each other.
    maxWorkers: 2,
  },
});
