// Bundles the dashboard page (dashboard/src) into dist/web with esbuild: preact, htm,
// @preact/signals, uPlot and @vigie/client end up in one app.js and one app.css, served by the
// coordinator (@fastify/static). Nothing is fetched from a CDN at run time.
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = `${root}dashboard/src/`;
const out = `${root}dist/web/`;

mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: `${src}main.ts` },
  outdir: out,
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(`${src}index.html`, `${out}index.html`);
