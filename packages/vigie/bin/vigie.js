#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm ci` (the root `prepare` script) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('vigie: the CLI is not built yet. Run `npm run build` at the repository root, then try again.');
  process.exit(1);
}
// Before the program's modules load: the young generation does not grow during start-up (dist/util/heap.js says why).
const { holdYoungGeneration } = await import(new URL('../dist/util/heap.js', import.meta.url).href);
holdYoungGeneration();
const { main } = await import(entry.href);
await main(process.argv);
