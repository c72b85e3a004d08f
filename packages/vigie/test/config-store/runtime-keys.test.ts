import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config/settings.js';
import {
  crossFieldProblem,
  effectiveRuntime,
  parseRuntimeValue,
  RUNTIME_KEYS,
  runtimeKey,
} from '../../src/config-store/runtime-keys.js';
import { ConfigError } from '../../src/errors.js';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('run-time keys', () => {
  it('are settings, and none is a secret', () => {
    for (const k of RUNTIME_KEYS) {
      expect(SETTINGS[k]).toBeDefined();
      expect((SETTINGS[k] as { secret?: string }).secret).toBeUndefined();
    }
  });

  it('accepts the camelCase key and the env name', () => {
    expect(runtimeKey('lbStrategy')).toBe('lbStrategy');
    expect(runtimeKey('LB_STRATEGY')).toBe('lbStrategy');
  });

  it('refuses an unknown key, a secret, and a start-up-only setting, saying which and why', () => {
    const unknown = errorOf(() => runtimeKey('nope'));
    expect(unknown.message).toContain('"nope"');
    expect(unknown.message).toContain('lbStrategy');
    expect(errorOf(() => runtimeKey('MAX_RETRY')).message).toContain('Unknown setting "MAX_RETRY". Did you mean "MAX_RETRIES"?');
    const secret = errorOf(() => runtimeKey('telegramBotToken'));
    expect(secret.message).toContain('telegramBotToken');
    expect(secret.message).toContain('secret');
    expect(errorOf(() => runtimeKey('REDIS_URL')).message).toContain('secret');
    const startup = errorOf(() => runtimeKey('port'));
    expect(startup.message).toContain('port');
    expect(startup.message).toContain('restart');
    // Inherited object properties are not settings.
    expect(errorOf(() => runtimeKey('toString')).message).toContain('Unknown');
  });
});

describe('run-time values', () => {
  it('parses text as an env var would, and checks typed values as they are', () => {
    expect(parseRuntimeValue('maxRetries', '5')).toBe(5);
    expect(parseRuntimeValue('maxRetries', 5)).toBe(5);
    expect(parseRuntimeValue('enableFailover', '0')).toBe(false);
    expect(() => parseRuntimeValue('enableFailover', 'off')).toThrow('Invalid run-time setting enableFailover (ENABLE_FAILOVER): "off" — expected true or false (or 1 or 0). Allowed: true | false | 1 | 0.');
    expect(parseRuntimeValue('enableFailover', true)).toBe(true);
    expect(parseRuntimeValue('failoverRegions', 'cdg, iad')).toEqual(['cdg', 'iad']);
    expect(parseRuntimeValue('failoverRegions', ['lhr'])).toEqual(['lhr']);
    expect(parseRuntimeValue('failoverApps', '')).toEqual([]);
    expect(parseRuntimeValue('lbStrategy', ' p2c-ewma ')).toBe('p2c-ewma');
    expect(parseRuntimeValue('telegramChatId', '-100123')).toBe('-100123');
  });

  it('names the key, the value and what is allowed when a value is bad', () => {
    const e = errorOf(() => parseRuntimeValue('maxRetries', 'lots'));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('maxRetries');
    expect(e.message).toContain('MAX_RETRIES');
    expect(e.message).toContain('"lots"');
    expect(e.message).toContain('integer 1–20');
    expect(errorOf(() => parseRuntimeValue('maxRetries', 99)).message).toContain('integer 1–20');
    expect(errorOf(() => parseRuntimeValue('lbStrategy', 'fastest')).message).toContain('random | round-robin');
    expect(errorOf(() => parseRuntimeValue('enableFailover', 'maybe')).message).toContain('true | false');
    expect(() => parseRuntimeValue('failoverRegions', [1, 2])).toThrow(ConfigError);
    expect(() => parseRuntimeValue('healthCheckIntervalMs', 50)).toThrow(/integer ≥ 100/);
  });

  it('checks request delays together', () => {
    expect(crossFieldProblem({ requestDelayMinMs: 30_000, requestDelayMaxMs: 25_000 })).toMatch(/requestDelayMinMs \(30000\) is above requestDelayMaxMs \(25000\)/);
    expect(crossFieldProblem({ requestDelayMinMs: 1, requestDelayMaxMs: 2 })).toBeUndefined();
    expect(crossFieldProblem({ requestDelayMinMs: 1 })).toBeUndefined();
  });

  it('effective values: the store over the static config, every key present', () => {
    const eff = effectiveRuntime({ lbStrategy: 'random', maxRetries: 3 }, { maxRetries: 7 });
    expect(eff.maxRetries).toBe(7);
    expect(eff.lbStrategy).toBe('random');
    expect(Object.keys(eff).sort()).toEqual([...RUNTIME_KEYS].sort());
    expect(eff.telegramChatId).toBeUndefined();
  });
});
