import { defineConfig } from 'vitest/config';
import { SERIAL_TESTS } from './vitest.config.js';

// The timing tests of a paused process (a notification sender SIGSTOPped mid-send): their
// windows are a few seconds wide, and beside other test files on two cores they were seen to
// miss them, while passing every time alone. `npm test` runs them after the rest, one file at a time.
export default defineConfig({
  test: {
    include: [SERIAL_TESTS],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
