import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Imports run one way, down the layers. Each top-level folder of src/ has a layer; a module may
 * import its own folder and lower layers only, and no chain of imports (type-only ones included)
 * comes back to where it started. A new folder must be given a layer here.
 */
const LAYERS: Record<string, number> = {
  'errors.ts': 0,
  'version.ts': 0,
  'lazy-module.ts': 0,
  wire: 0,
  observability: 1,
  util: 2,
  config: 3,
  events: 3,
  store: 4,
  'config-store': 4,
  http: 4,
  lock: 4,
  notify: 5,
  alerts: 6,
  cycles: 7,
  remediation: 7,
  dashboard: 7,
  demo: 7,
  worker: 8,
  coordinator: 8,
  standby: 8,
  up: 9,
  cli: 10,
  'index.ts': 11,
};

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The relative imports of a file, resolved to .ts paths (static, dynamic and `export … from`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'));
}

const top = (file: string) => relative(SRC, file).split('/')[0]!;

describe('imports', () => {
  const files = sourceFiles(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('give every top-level folder of src/ a layer', () => {
    const unknown = [...new Set(files.map(top))].filter((t) => !(t in LAYERS));
    expect(unknown, 'add these to LAYERS in test/architecture/imports.test.ts').toEqual([]);
  });

  it('run down the layers, never up', () => {
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      for (const dep of deps) {
        const [from, to] = [top(file), top(dep)];
        if (from !== to && (LAYERS[to] ?? Infinity) >= (LAYERS[from] ?? -Infinity)) upward.push(`${relative(SRC, file)} → ${relative(SRC, dep)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('form no cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (!graph.has(d)) continue;
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => relative(SRC, x)).join(' → '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('resolve: every relative import names a file that exists', () => {
    const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !graph.has(d) && !d.endsWith('.json')).map((d) => `${relative(SRC, f)} → ${relative(SRC, d)}`));
    expect(missing).toEqual([]);
  });
});
