#!/usr/bin/env node
// Summarises a .cpuprofile (from `node bench/dispatch/run.mjs --cpu-prof DIR`): self time by
// package / area, the top functions by self time, and inclusive time of a few Vigie hot-path
// functions.   node bench/dispatch/profile-summary.mjs DIR/coordinator-round-robin.cpuprofile [top=25]

import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-summary.mjs FILE.cpuprofile [top]\n');
  process.exit(1);
}
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the samples and their time deltas.
const self = new Map();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self.entries()].filter(([id]) => nodes.get(id).callFrame.functionName === '(idle)').reduce((a, [, v]) => a + v, 0);
const busy = total - idle;

function area(cf) {
  const u = cf.url || '';
  if (!u) return cf.functionName.startsWith('(') ? cf.functionName : '(native/builtin)';
  const m = u.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (u.startsWith('node:')) return `node:${u.slice(5).split('/')[0]}`;
  const v = u.match(/packages\/vigie\/dist\/(.*)$/);
  if (v) return `vigie/${v[1]}`;
  return u;
}

const byArea = new Map();
const byFn = new Map();
for (const [id, t] of self) {
  const cf = nodes.get(id).callFrame;
  if (cf.functionName === '(idle)') continue;
  const a = area(cf);
  byArea.set(a, (byArea.get(a) ?? 0) + t);
  const key = `${cf.functionName || '(anonymous)'}  ${a}:${cf.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
}

// Inclusive time: a sample counts once for every distinct function on its stack.
const incl = new Map();
prof.samples.forEach((id, i) => {
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const cf = nodes.get(n).callFrame;
    const key = `${cf.functionName || '(anonymous)'}  ${area(cf)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    incl.set(key, (incl.get(key) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
});

const pct = (t) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
const ms = (t) => `${(t / 1000).toFixed(0).padStart(6)} ms`;
console.log(`${file}: ${ms(total)} sampled, ${ms(busy)} busy (${((100 * busy) / total).toFixed(0)}%); percentages are of busy time`);
console.log('\nself time by area:');
for (const [a, t] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(t)} ${ms(t)}  ${a}`);
console.log(`\ntop ${top} functions by self time:`);
for (const [f, t] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(t)} ${ms(t)}  ${f}`);
console.log('\ninclusive time of selected functions:');
const wanted = /^(dispatch|call|execute|request|readBounded|safeParse|parse|stringify|JSON\.parse|stringify|onRequest|checkKey|observe|inc|recordOutcome|fleetView|selectWorkers|list|stats|handleRequest|runPreParsing|preValidationCallback|serialize|send|onSend|wrapOnSend|garbage collector|\(garbage collector\)|timeout|any|AbortSignal|abort|write|writeGeneric|writev|onStreamRead|parserOnHeadersComplete|parserOnBody|parserOnMessageComplete)  /;
for (const [f, t] of [...incl].filter(([k]) => wanted.test(k)).sort((x, y) => y[1] - x[1]).slice(0, 40)) console.log(`  ${pct(t)} ${ms(t)}  ${f}`);
