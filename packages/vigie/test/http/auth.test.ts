import { describe, expect, it } from 'vitest';
import { createKeyCheck, isLoopback } from '../../src/http/auth.js';

describe('createKeyCheck', () => {
  const check = createKeyCheck(['first-key-aaaaaaaa', 'second-key-bbbbbbbb']);

  it('accepts any configured key', () => {
    expect(check('first-key-aaaaaaaa')).toBe(true);
    expect(check('second-key-bbbbbbbb')).toBe(true);
  });

  it('refuses missing, empty, wrong, prefix and longer keys', () => {
    for (const k of [undefined, '', 'first-key', 'first-key-aaaaaaaaX', 'FIRST-KEY-AAAAAAAA']) expect(check(k)).toBe(false);
  });

  it('refuses everything when no key is configured', () => {
    expect(createKeyCheck([])('anything')).toBe(false);
  });
});

describe('isLoopback', () => {
  it('knows loopback from the rest', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', '127.255.0.9', '::1', '[::1]', 'localhost']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', '128.0.0.1', 'example.com']) expect(isLoopback(h)).toBe(false);
  });
});
