import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { optionalStep } from '../../src/util/optional-step.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()) });
  return { lines, logger: createLogger({ level: 'info', format: 'json', destination }) };
}

describe('optionalStep', () => {
  it('returns the step result when it works, logging nothing', async () => {
    const { lines, logger } = capture();
    expect(await optionalStep('offload', async () => 'ok', { logger, timeoutMs: 1000, fallback: 'none' })).toBe('ok');
    expect(lines).toEqual([]);
  });

  it('logs a WARNING and goes on with the fallback when the step throws', async () => {
    const { lines, logger } = capture();
    const r = await optionalStep('offload', async () => { throw new Error('bucket unreachable'); }, { logger, timeoutMs: 1000, fallback: 'none' });
    expect(r).toBe('none');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, step: 'offload', err: 'bucket unreachable' });
    expect(String(lines[0]!.msg)).toContain('WARNING');
  });

  it('abandons a step that hangs, aborting its signal', async () => {
    const { lines, logger } = capture();
    let aborted = false;
    const r = await optionalStep('offload', (signal) => new Promise<string>(() => signal.addEventListener('abort', () => (aborted = true))), { logger, timeoutMs: 50, fallback: 'none' });
    expect(r).toBe('none');
    expect(aborted).toBe(true);
    expect(String(lines[0]!.err)).toContain('timed out');
  });
});
