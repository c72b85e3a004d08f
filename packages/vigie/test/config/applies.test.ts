import { fileURLToPath } from 'node:url';
import { relative, sep } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS, type Setting, type SettingKey } from '../../src/config/settings.js';
import { RUNTIME_KEYS } from '../../src/config-store/runtime-keys.js';

/**
 * The docs say how each setting applies (SETTINGS[k].applies); this checks it against the code,
 * with the TypeScript checker rather than a text search (so that `host` in a URL or a comment
 * does not count): a read is a property of VigieConfig (whose properties are declared by the
 * SETTINGS entries) or of SETTINGS itself, used outside src/config/.
 */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));

/** Setting key → the files (relative to src/) that read it. */
function findReaders(): Map<SettingKey, Set<string>> {
  const { config } = ts.readConfigFile(TSCONFIG, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, fileURLToPath(new URL('../../', import.meta.url)));
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const settingsFile = program.getSourceFiles().find((f) => relative(SRC, f.fileName) === `config${sep}settings.ts`);
  if (!settingsFile) throw new Error('src/config/settings.ts is not part of the program');

  // The SETTINGS entries: each one's property assignment is the declaration a read resolves to.
  const entries = new Map<ts.Node, SettingKey>();
  const visitSettings = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.name.getText() === 'SETTINGS') {
      let init: ts.Expression | undefined = node.initializer;
      while (init && (ts.isAsExpression(init) || ts.isSatisfiesExpression(init) || ts.isParenthesizedExpression(init))) init = init.expression;
      if (!init || !ts.isObjectLiteralExpression(init)) throw new Error('SETTINGS is not an object literal');
      for (const p of init.properties) if (ts.isPropertyAssignment(p)) entries.set(p, p.name.getText() as SettingKey);
      return;
    }
    ts.forEachChild(node, visitSettings);
  };
  visitSettings(settingsFile);
  expect(entries.size).toBe(Object.keys(SETTINGS).length);

  const settingOf = (symbol: ts.Symbol | undefined): SettingKey | undefined => {
    if (!symbol) return undefined;
    for (const root of checker.getRootSymbols(symbol)) {
      for (const d of root.declarations ?? []) {
        const key = entries.get(d);
        if (key) return key;
      }
    }
    return undefined;
  };

  const readers = new Map<SettingKey, Set<string>>();
  for (const file of program.getSourceFiles()) {
    const rel = relative(SRC, file.fileName);
    if (rel.startsWith('..') || file.isDeclarationFile || rel.startsWith(`config${sep}`)) continue;
    const visit = (node: ts.Node): void => {
      let key: SettingKey | undefined;
      if (ts.isPropertyAccessExpression(node)) key = settingOf(checker.getSymbolAtLocation(node.name));
      else if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) key = settingOf(checker.getSymbolAtLocation(node.argumentExpression));
      else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
        // `const { host } = config` and `const { host: h } = config`.
        const name = node.propertyName ?? node.name;
        if (ts.isIdentifier(name)) key = settingOf(checker.getPropertyOfType(checker.getTypeAtLocation(node.parent), name.text));
      }
      if (key) {
        const files = readers.get(key) ?? new Set<string>();
        files.add(rel.split(sep).join('/'));
        readers.set(key, files);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return readers;
}

describe('how each setting applies (SETTINGS[k].applies) matches the code', () => {
  let readers: Map<SettingKey, Set<string>>;
  beforeAll(() => {
    readers = findReaders();
  }, 180_000);

  const all = Object.entries(SETTINGS) as Array<[SettingKey, Setting]>;

  it('finds the reads it looks for (the check itself works)', () => {
    // Known reads, one of each shape: property access, through LiveConfig, in the CLI.
    expect([...(readers.get('host') ?? [])]).toContain('worker/start.ts');
    expect([...(readers.get('lbStrategy') ?? [])]).toContain('coordinator/start.ts');
    expect([...(readers.get('coordinatorUrl') ?? [])]).toContain('cli/api-client.ts');
  });

  it('a setting documented as live or restart is read by some code outside config/', () => {
    const unread = all.filter(([k, s]) => s.applies !== 'unread' && !readers.has(k)).map(([k, s]) => `${s.env} (${k}, applies: '${s.applies}')`);
    expect(unread, 'documented as working, but nothing reads them: mark them applies: \'unread\' or make code read them').toEqual([]);
  });

  it('a setting documented as not read yet is read by nothing (flip it to restart or live when code reads it)', () => {
    const read = all
      .filter(([k, s]) => s.applies === 'unread' && readers.has(k))
      .map(([k, s]) => `${s.env} (${k}) read by ${[...readers.get(k)!].join(', ')}`);
    expect(read, 'read by code, but documented as not read yet: set applies to \'restart\' or \'live\' in config/settings.ts').toEqual([]);
  });

  it('a live setting is one `vigie config set` may change, and running coordinators read it', () => {
    for (const [k, s] of all) {
      if (s.applies !== 'live') continue;
      expect(RUNTIME_KEYS as readonly string[], `${k} is live but not a run-time key`).toContain(k);
      expect([...(readers.get(k) ?? [])].some((f) => f.startsWith('coordinator/')), `${k} is live but no coordinator code reads it`).toBe(true);
    }
  });
});
