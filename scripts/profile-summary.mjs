#!/usr/bin/env node
// Summarises a .cpuprofile (V8 sampling profile): where the self time goes, by function and by
// source area (our RTP path, werift, Node internals, native/GC). Usage:
//   node scripts/profile-summary.mjs <file.cpuprofile> [--top N]
import { readFileSync } from 'node:fs';

const file = process.argv[2];
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 25;
if (!file) {
  console.error('usage: profile-summary.mjs <file.cpuprofile> [--top N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfSamples = new Map();
for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
const total = profile.samples.length;

function area(url, name) {
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return 'garbage collection';
  if (name === '(program)') return 'native / runtime (incl. addon calls)';
  if (!url) return 'native / runtime (incl. addon calls)';
  if (url.includes('/dist/src/rtp/')) return 'kuroshio: RTP session (src/rtp)';
  if (url.includes('/dist/src/transport/srtp/')) return 'kuroshio: SRTP wrapper';
  if (url.includes('/dist/src/transport/')) return 'kuroshio: transport';
  if (url.includes('/dist/src/elements/') || url.includes('/dist/src/media/')) return 'kuroshio: elements and media plane';
  if (url.includes('/dist/src/')) return 'kuroshio: other';
  if (url.includes('node_modules/werift')) return 'werift (ICE, DTLS, timers)';
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  return 'other';
}

const byFunction = new Map();
const byArea = new Map();
for (const [id, count] of selfSamples) {
  const node = byId.get(id);
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  const key = `${name}  ${url ? url.replace(/^.*\/(dist|node_modules)\//, '$1/') : ''}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + count);
  const a = area(url, name);
  byArea.set(a, (byArea.get(a) ?? 0) + count);
}

const busy = total - (byArea.get('idle') ?? 0);
const pct = (n, of) => `${((100 * n) / of).toFixed(1).padStart(5)}%`;
console.log(`${file}: ${total} samples, ${pct(busy, total)} busy`);
console.log('\nself time by area (share of busy time):');
for (const [a, n] of [...byArea].filter(([a]) => a !== 'idle').sort((x, y) => y[1] - x[1])) console.log(`  ${pct(n, busy)}  ${a}`);
console.log(`\ntop ${top} functions by self time (share of busy time):`);
for (const [k, n] of [...byFunction].filter(([k]) => !k.startsWith('(idle)')).sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(n, busy)}  ${k}`);
