import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/worker/commands/types.js';
import { CommandRegistry } from '../../src/worker/commands/registry.js';
import { echo } from '../../src/worker/commands/echo.js';

const ctx = {} as CommandContext;

describe('CommandRegistry', () => {
  it('routes custom commands by name', async () => {
    const r = new CommandRegistry();
    r.registerCustom(echo);
    await expect(r.resolve('custom')({ name: 'echo', data: { a: 1 } }, ctx)).resolves.toEqual({ a: 1 });
  });

  it('tells unknown types (400) from known types without a handler (501)', () => {
    const r = new CommandRegistry();
    expect(() => r.resolve('nope')).toThrow(expect.objectContaining({ code: 'UNKNOWN_COMMAND_TYPE', httpStatus: 400 }));
    expect(() => r.resolve('scrape')).toThrow(expect.objectContaining({ code: 'COMMAND_NOT_SUPPORTED', httpStatus: 501 }));
    r.setHandler('scrape', async () => 'ok');
    expect(() => r.resolve('scrape')).not.toThrow();
  });

  it('refuses a duplicate or badly named custom command', () => {
    const r = new CommandRegistry();
    r.registerCustom(echo);
    expect(() => r.registerCustom(echo)).toThrow(/twice/);
    expect(() => r.registerCustom({ name: 'Bad Name', run: async () => 1 })).toThrow(/invalid/);
  });

  it('validates the custom payload', async () => {
    const r = new CommandRegistry();
    r.registerCustom(echo);
    await expect(r.resolve('custom')({ data: 1 }, ctx)).rejects.toMatchObject({ code: 'INVALID_COMMAND', httpStatus: 400 });
    await expect(r.resolve('custom')({ name: 'missing' }, ctx)).rejects.toMatchObject({ code: 'UNKNOWN_HANDLER', httpStatus: 400 });
  });
});
