import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { checkApiKeyConfig, createKeyCheck, isLoopback, providedKey } from '../../src/http/auth.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/vigie-process.js';

describe('createKeyCheck', () => {
  const check = createKeyCheck(['first-key-aaaaaaaa', 'second-key-bbbbbbbb']);

  it('accepts any configured key', () => {
    expect(check('first-key-aaaaaaaa')).toBe(true);
    expect(check('second-key-bbbbbbbb')).toBe(true);
  });

  it('refuses missing, empty, wrong, prefix and longer keys', () => {
    for (const k of [undefined, '', 'first-key', 'first-key-aaaaaaaaX', 'FIRST-KEY-AAAAAAAA']) expect(check(k)).toBe(false);
  });

  it('compares whole keys whatever their lengths and characters', () => {
    const short = createKeyCheck(['k', 'clé-été-🔑-0123456789']);
    expect(short('k')).toBe(true);
    expect(short('clé-été-🔑-0123456789')).toBe(true);
    // A guess that repeats the short key, a prefix, the same length with one unit changed, other scripts.
    for (const k of ['kk', 'kkkkkkkk', 'clé-été-🔑-012345678', 'clé-été-🔑-012345678X', 'cle-ete-🔑-0123456789', 'clé-été-🔒-0123456789', '\u0000']) {
      expect(short(k)).toBe(false);
    }
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

describe('providedKey', () => {
  it('reads x-api-key, else a Bearer token, else nothing', () => {
    expect(providedKey({ 'x-api-key': 'k1' })).toBe('k1');
    expect(providedKey({ 'x-api-key': 'k1', authorization: 'Bearer k2' })).toBe('k1');
    expect(providedKey({ authorization: 'Bearer k2' })).toBe('k2');
    expect(providedKey({ authorization: 'bearer   k2 ' })).toBe('k2');
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'k2']) expect(providedKey({ authorization })).toBeUndefined();
    expect(providedKey({})).toBeUndefined();
  });
});

describe('checkApiKeyConfig and VIGIE_PUBLIC_READ', () => {
  const empty = tempDir('vigie-auth-');
  afterAll(() => empty.cleanup());
  const base = (env: Record<string, string>) => loadConfig({ env: { VIGIE_API_KEY: 'a-long-enough-key-0123456789', ...env }, cwd: empty.path, warn: () => {} });

  it('allows public reads on a loopback listener', () => {
    for (const HOST of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) {
      expect(() => checkApiKeyConfig(base({ VIGIE_PUBLIC_READ: 'true', HOST }), captureLogger().logger)).not.toThrow();
    }
  });

  it('refuses them on any other listener, saying why and what to do', () => {
    for (const HOST of ['0.0.0.0', '::', '10.0.0.5']) {
      expect(() => checkApiKeyConfig(base({ VIGIE_PUBLIC_READ: 'true', HOST }), captureLogger().logger)).toThrow(ConfigError);
      expect(() => checkApiKeyConfig(base({ VIGIE_PUBLIC_READ: 'true', HOST }), captureLogger().logger)).toThrow(
        `VIGIE_PUBLIC_READ is only allowed on a loopback address, and HOST is ${HOST}`,
      );
    }
    expect(() => checkApiKeyConfig(base({ VIGIE_PUBLIC_READ: 'false', HOST: '0.0.0.0' }), captureLogger().logger)).not.toThrow();
  });
});
