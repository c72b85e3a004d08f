import { describe, expect, it } from 'vitest';
import { arrayItemLines, parseAlertImport, toAlertInput } from '../../src/alerts/import.js';
import { VigieError } from '../../src/errors.js';

const row = (name: string, extra: Record<string, unknown> = {}) => ({ name, source: 'market', query: name, ...extra });

function failure(fn: () => unknown): VigieError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VigieError);
    return err as VigieError;
  }
  throw new Error('expected a VigieError');
}

describe('parseAlertImport', () => {
  it('reads a JSON array and NDJSON alike, with the API schema\'s defaults', () => {
    const rows = [row('a', { priceMax: 10 }), row('b', { active: false })];
    const fromArray = parseAlertImport(JSON.stringify(rows, null, 2));
    const fromLines = parseAlertImport(`${rows.map((r) => JSON.stringify(r)).join('\r\n')}\n\n`);
    expect(fromArray).toEqual(fromLines);
    expect(fromArray).toEqual([{ name: 'a', source: 'market', query: 'a', priceMax: 10 }, { name: 'b', source: 'market', query: 'b', active: false }]);
    expect(parseAlertImport('\uFEFF[]')).toEqual([]);
    expect(parseAlertImport('')).toEqual([]);
    expect(parseAlertImport('{"name":"x","source":"s"}')[0]?.query).toBe('');
  });

  it('names the NDJSON line of the first bad row', () => {
    const lines = [row('a'), row('b'), row('c', { priceMin: 50, priceMax: 10 }), row('d', { colour: 'red' })].map((r) => JSON.stringify(r));
    const err = failure(() => parseAlertImport(['', ...lines].join('\n')));
    expect(err.code).toBe('INVALID_ALERT');
    expect(err.message).toContain('line 4: priceMin');
    expect(failure(() => parseAlertImport(`${lines[0]}\n{"name": oops}\n`)).code).toBe('INVALID_JSON');
    expect(failure(() => parseAlertImport(`${lines[0]}\n{"name": oops}\n`)).message).toContain('line 2');
  });

  it('names the item and its line in a pretty-printed array', () => {
    const text = JSON.stringify([row('a', { notify: [{ channel: 'log' }] }), row('b'), { name: 'c' }], null, 2);
    const err = failure(() => parseAlertImport(text));
    const line = text.split('\n').findIndex((l) => l.includes('"c"')); // the item's first line is the one before its name
    expect(err.message).toContain(`item 3 (line ${line}): source`);
    expect(failure(() => parseAlertImport('{"alerts": []}')).code).toBe('INVALID_ALERT');
    expect(failure(() => parseAlertImport('[1, 2')).code).toBe('INVALID_JSON');
  });

  it('applies the caller\'s row check with the same line numbers', () => {
    const text = [row('a'), row('b', { source: 'elsewhere' })].map((r) => JSON.stringify(r)).join('\n');
    const check = (a: { source: string }) => (a.source === 'market' ? undefined : `source: "${a.source}" is not a configured source`);
    expect(failure(() => parseAlertImport(text, check)).message).toContain('line 2: source: "elsewhere"');
  });
});

describe('arrayItemLines', () => {
  it('finds where each top-level item starts, skipping strings and nesting', () => {
    expect(arrayItemLines('[1, 2, 3]')).toEqual([1, 1, 1]);
    expect(arrayItemLines('[\n  {"a": "x,[\\"y"},\n  [1,\n2],\n  "z"\n]')).toEqual([2, 3, 5]);
    expect(arrayItemLines('[]')).toEqual([]);
  });
});

describe('toAlertInput', () => {
  it('keeps what an import takes and drops what the store assigns', () => {
    const alert = { id: 'x', name: 'n', source: 's', query: 'q', priceMin: null, priceMax: 5, conditions: [], includeWords: ['a'], excludeWords: [], notify: [{ channel: 'log' }], active: false, notifyExisting: true, createdAt: 1, updatedAt: 2 };
    const input = toAlertInput(alert);
    expect(input).toEqual({ name: 'n', source: 's', query: 'q', priceMin: null, priceMax: 5, conditions: [], includeWords: ['a'], excludeWords: [], notify: [{ channel: 'log' }], active: false, notifyExisting: true });
    expect(parseAlertImport(JSON.stringify(input))).toEqual([input]);
  });
});
