// The package as its users get it: `import { createClient } from '@vigie/client'` from the
// repository root, type declarations that a strict NodeNext project accepts, and a dist that uses
// no Node-only API (it must also run in browsers).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST_DIR, ensureBuilt } from './helpers/build.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );
}

describe('@vigie/client as a package', () => {
  beforeAll(async () => {
    await ensureBuilt();
  });

  it('imports by name from the repository root (Node ESM resolution through the workspace)', () => {
    const script = [
      "import { createClient, VigieClientError } from '@vigie/client';",
      "const c = createClient({ nodes: ['http://127.0.0.1:1', 'http://127.0.0.1:2'] });",
      'const s = c.getNodesHealthStatus();',
      'c.close();',
      'console.log(JSON.stringify({ t: typeof createClient, e: typeof VigieClientError, n: s.nodes.length, cur: s.currentNode, strategy: s.strategy }));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ t: 'function', e: 'function', n: 2, cur: 0, strategy: 'failover' });
  });

  it('ships declarations that type-check a strict NodeNext consumer', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const project = fileURLToPath(new URL('./fixtures/consumer/tsconfig.json', import.meta.url));
    // Throws (with tsc's output) on any type error.
    execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });
  });

  it('uses no Node-only API at runtime and no bare imports (browsers load it as is)', () => {
    const offenders: string[] = [];
    for (const file of jsFiles(DIST_DIR)) {
      const code = readFileSync(file, 'utf8');
      const imports = [...code.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
      for (const spec of imports) if (!spec.startsWith('./') && !spec.startsWith('../')) offenders.push(`${file}: import ${spec}`);
      // setImmediate may be read as a property of globalThis behind a feature test, never called bare.
      for (const api of [/\brequire\(/, /\bprocess\./, /\bBuffer\b/, /(?<![.\w])setImmediate\b/]) {
        if (api.test(code)) offenders.push(`${file}: ${api.source}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('has no runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(DIST_DIR, '..', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg['dependencies']).toBeUndefined();
    expect(pkg['peerDependencies']).toBeUndefined();
    expect(pkg['type']).toBe('module');
  });
});
