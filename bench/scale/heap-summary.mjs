#!/usr/bin/env node
// Where a V8 heap snapshot's memory goes: self size and count per constructor (or node type),
// largest first. For bench/scale's `--heap-snapshot DIR` files (or any .heapsnapshot).
//
//   node bench/scale/heap-summary.mjs FILE [--top 30] [--diff OTHER_FILE]
//
// With --diff, prints what grew from OTHER_FILE (the earlier snapshot) to FILE.

import { readFileSync } from 'node:fs';

/** Self size and count per constructor name of a parsed snapshot. */
export function summarize(snapshot) {
  const { meta } = snapshot.snapshot;
  const fields = meta.node_fields;
  const stride = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const types = meta.node_types[0];
  const { nodes, strings } = snapshot;
  const byName = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + iType]];
    const size = nodes[i + iSize];
    total += size;
    // Objects by constructor; strings, code, arrays… by type (their names are their contents).
    const key = type === 'object' || type === 'closure' ? `${type === 'closure' ? 'closure ' : ''}${strings[nodes[i + iName]]}` : `(${type})`;
    const e = byName.get(key) ?? { size: 0, count: 0 };
    e.size += size;
    e.count++;
    byName.set(key, e);
  }
  return { total, byName };
}

function main() {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: node bench/scale/heap-summary.mjs FILE [--top 30] [--diff EARLIER_FILE]\n');
    process.exit(1);
  }
  const top = Number(args[args.indexOf('--top') + 1]) || 30;
  const diffFile = args.includes('--diff') ? args[args.indexOf('--diff') + 1] : undefined;
  const now = summarize(JSON.parse(readFileSync(file, 'utf8')));
  const before = diffFile ? summarize(JSON.parse(readFileSync(diffFile, 'utf8'))) : undefined;
  const MB = (n) => (n / 1_048_576).toFixed(2);
  process.stdout.write(`${file}: ${MB(now.total)} MB of heap objects${before ? ` (${MB(before.total)} MB in ${diffFile})` : ''}\n`);
  const rows = [...now.byName.entries()].map(([name, e]) => {
    const b = before?.byName.get(name) ?? { size: 0, count: 0 };
    return { name, size: e.size, count: e.count, grew: e.size - b.size, grewCount: e.count - b.count };
  });
  rows.sort((a, b) => (before ? b.grew - a.grew : b.size - a.size));
  process.stdout.write(`${'MB'.padStart(8)} ${'count'.padStart(9)}${before ? `${'+MB'.padStart(9)} ${'+count'.padStart(9)}` : ''}  constructor / type\n`);
  for (const r of rows.slice(0, top)) {
    process.stdout.write(`${MB(r.size).padStart(8)} ${String(r.count).padStart(9)}${before ? `${MB(r.grew).padStart(9)} ${String(r.grewCount).padStart(9)}` : ''}  ${r.name}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
