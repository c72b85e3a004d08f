import { describe, expect, it } from 'vitest';
import { routesToCommands } from '../../src/cli/route-hints.js';

describe('routesToCommands', () => {
  it('replaces a route that has a CLI command, and only that exact route', () => {
    expect(routesToCommands('A cycle is running now; wait for it to end (GET /api/v1/alerts/runs) and try again.')).toBe('A cycle is running now; wait for it to end (`vigie cycle list`) and try again.');
    expect(routesToCommands('No alert with id "x". List them with GET /api/v1/alerts.')).toBe('No alert with id "x". List them with `vigie alerts list`.');
    expect(routesToCommands('See GET /api/v1/worker/main/stats.')).toBe('See `vigie stats`.');
    // No CLI command for one alert by id: left as it is.
    expect(routesToCommands('See GET /api/v1/alerts/abc.')).toBe('See GET /api/v1/alerts/abc.');
    expect(routesToCommands('Use POST /api/v1/token/refresh/force.')).toBe('Use POST /api/v1/token/refresh/force.');
  });
});
