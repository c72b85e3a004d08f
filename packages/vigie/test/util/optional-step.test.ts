import { describe, expect, it } from 'vitest';
import { optionalStep } from '../../src/util/optional-step.js';
import { captureLogger } from '../helpers/capture-logger.js';


describe('optionalStep', () => {
  it('returns the step result when it works, logging nothing', async () => {
    const { lines: logged, logger } = captureLogger('info');
    expect(await optionalStep('offload', async () => 'ok', { logger, timeoutMs: 1000, fallback: 'none' })).toBe('ok');
    expect(logged()).toEqual([]);
  });

  it('logs a WARNING and goes on with the fallback when the step throws', async () => {
    const { lines: logged, logger } = captureLogger('info');
    const r = await optionalStep('offload', async () => { throw new Error('bucket unreachable'); }, { logger, timeoutMs: 1000, fallback: 'none' });
    expect(r).toBe('none');
    const lines = logged();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, step: 'offload', err: 'bucket unreachable' });
    expect(String(lines[0]!.msg)).toContain('WARNING');
  });

  it('abandons a step that hangs, aborting its signal', async () => {
    const { lines: logged, logger } = captureLogger('info');
    let aborted = false;
    const r = await optionalStep('offload', (signal) => new Promise<string>(() => signal.addEventListener('abort', () => (aborted = true))), { logger, timeoutMs: 50, fallback: 'none' });
    expect(r).toBe('none');
    expect(aborted).toBe(true);
    expect(String(logged()[0]!.err)).toContain('timed out');
  });
});
