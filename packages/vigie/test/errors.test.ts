import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ForeignError, isErrorCode, VigieError } from '../src/errors.js';

describe('error catalogue', () => {
  it('gives every code an error status and something to do', () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.status, code).toBeLessThan(600);
      expect(spec.todo.length, code).toBeGreaterThan(10);
    }
  });

  it('takes the status from the catalogue unless the case needs another', () => {
    expect(new VigieError('WORKER_NOT_FOUND', 'no').httpStatus).toBe(404);
    expect(new VigieError('STORE_UNAVAILABLE', 'down').httpStatus).toBe(503);
    expect(new VigieError('UPSTREAM_ERROR', 'x', 504).httpStatus).toBe(504);
  });

  it('tells its own codes from foreign ones', () => {
    expect(isErrorCode('NOT_LEADER')).toBe(true);
    expect(isErrorCode('MY_PLUGIN_FAILED')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(new ForeignError('MY_PLUGIN_FAILED', 'x', 418).code).toBe('MY_PLUGIN_FAILED');
  });
});
