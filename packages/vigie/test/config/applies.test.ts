import { fileURLToPath } from 'node:url';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS, type Setting, type SettingKey } from '../../src/config/settings.js';
import { RUNTIME_KEYS } from '../../src/config-store/runtime-keys.js';

/**
 * The docs say how each setting applies (SETTINGS[k].applies); this checks it against the code,
 * with the TypeScript checker rather than a text search (so that `host` in a URL or a comment
 * does not count): a read is a property of VigieConfig (whose properties are declared by the
 * SETTINGS entries) or of SETTINGS itself, used outside src/config/, in a file the CLI can load.
 */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));

/** Setting key → the files (relative to src/) that read it. */
function findReaders(): Map<SettingKey, Set<string>> {
  const { config } = ts.readConfigFile(TSCONFIG, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, fileURLToPath(new URL('../../', import.meta.url)));
  // Vigie's own sources only: a read is a property of VigieConfig or SETTINGS, both declared
  // here, so the dependencies' types (node_modules) are not loaded — it halves the time.
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, types: [] };
  const host = ts.createCompilerHost(options);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => !f.includes(`${sep}node_modules${sep}`) && fileExists(f);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options, host });
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

  const reachable = reachableFrom(program, join(SRC, 'cli', 'main.ts'));

  // Only names that are setting keys go to the checker: asking it about every property access
  // of the source would type-check all of it, which is slow on a loaded machine.
  const names: ReadonlySet<string> = new Set(entries.values());
  const readers = new Map<SettingKey, Set<string>>();
  for (const file of program.getSourceFiles()) {
    const rel = relative(SRC, file.fileName);
    if (rel.startsWith('..') || file.isDeclarationFile || rel.startsWith(`config${sep}`)) continue;
    // Code that no command runs (a provider no one calls yet) does not make a setting work.
    if (!reachable.has(file.fileName)) continue;
    const visit = (node: ts.Node): void => {
      let key: SettingKey | undefined;
      if (ts.isPropertyAccessExpression(node)) {
        if (names.has(node.name.text)) key = settingOf(checker.getSymbolAtLocation(node.name));
      } else if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
        if (names.has(node.argumentExpression.text)) key = settingOf(checker.getSymbolAtLocation(node.argumentExpression));
      } else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
        // `const { host } = config` and `const { host: h } = config`.
        const name = node.propertyName ?? node.name;
        if (ts.isIdentifier(name) && names.has(name.text)) key = settingOf(checker.getPropertyOfType(checker.getTypeAtLocation(node.parent), name.text));
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

/**
 * The source files the `vigie` CLI (bin/vigie.js → cli/main.ts) can load: static imports and
 * re-exports, and `import('…')` with a literal path, followed from `entry`.
 */
function reachableFrom(program: ts.Program, entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const fileName = queue.pop()!;
    const file = program.getSourceFile(fileName);
    if (!file || seen.has(fileName)) continue;
    seen.add(fileName);
    const follow = (spec: ts.Expression | undefined) => {
      if (spec && ts.isStringLiteralLike(spec) && spec.text.startsWith('.')) queue.push(resolve(dirname(fileName), spec.text.replace(/\.js$/, '.ts')));
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) follow(node.moduleSpecifier);
      else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) follow(node.arguments[0]);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return seen;
}

/**
 * Settings that reachable code references, but whose documented effect nothing produces yet:
 * they stay `unread` in the docs. Each says why; remove it when the code takes effect (and flip
 * the setting), the last test below fails on a stale entry.
 */
const REFERENCED_NOT_IN_EFFECT: Partial<Record<SettingKey, string>> = {
  failoverReadyWaitMs: '`vigie up` hands it to its local worker supervisor, whose restarts only the failover ladder (not built yet) asks for',
};

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
      .filter(([k, s]) => s.applies === 'unread' && readers.has(k) && !REFERENCED_NOT_IN_EFFECT[k])
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

  it('every exception to the rule above is still one (referenced, and documented as not read yet)', () => {
    for (const k of Object.keys(REFERENCED_NOT_IN_EFFECT) as SettingKey[]) {
      expect((SETTINGS[k] as Setting).applies, `${k}: flipped, so remove it from REFERENCED_NOT_IN_EFFECT`).toBe('unread');
      expect(readers.has(k), `${k}: no longer referenced, so remove it from REFERENCED_NOT_IN_EFFECT`).toBe(true);
    }
  });
});
