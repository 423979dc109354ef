#!/usr/bin/env node
// Builds the native addons (today: native/srtp) with node-gyp. The root package's `install`
// script runs it, so `npm install` and `npm ci` build the addon on a fresh machine.
//
//   node scripts/build-native.mjs              rebuild from scratch
//   node scripts/build-native.mjs --if-stale   build only if the .node is missing or older than
//                                              its sources (what `npm run build` does: cheap)
//
// node-gyp: the copy npm runs scripts with (npm_config_node_gyp), else the one bundled with npm.
// Headers: node-gyp would download Node's headers unless told where they are; this machine kind
// has no network but the npm registry, and distribution Node packages install their headers
// under <prefix>/include/node. So when npm has no `nodedir` configured we pass the running
// Node's own prefix if its headers are there. Those headers include the OpenSSL headers of the
// OpenSSL inside Node (see native/srtp/binding.gyp for the linking side).
//
// KUROSHIO_SKIP_NATIVE=1 skips the build (the addon is then reported missing when loaded).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const addons = [{ dir: join(root, 'native/srtp'), output: 'build/Release/kuroshio_srtp.node' }];

if (process.env.KUROSHIO_SKIP_NATIVE === '1') {
  console.log('build-native: skipped (KUROSHIO_SKIP_NATIVE=1)');
  process.exit(0);
}

function nodeGypScript() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const candidates = [
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency of ours: fine, npm bundles one
  }
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('node-gyp not found (it ships with npm; run this through `npm run build:native`)');
  return found;
}

function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include/node/node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

/** Newest modification time of the addon's sources (binding.gyp and src/). */
function sourcesTime(dir) {
  const files = [join(dir, 'binding.gyp'), ...readdirSync(join(dir, 'src')).map((f) => join(dir, 'src', f))];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

const ifStale = process.argv.includes('--if-stale');
for (const addon of addons) {
  const output = join(addon.dir, addon.output);
  if (ifStale && existsSync(output) && statSync(output).mtimeMs >= sourcesTime(addon.dir)) continue;
  const args = [nodeGypScript(), 'rebuild', `--directory=${addon.dir}`, ...nodedirArgs()];
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    console.error(
      `build-native: building ${addon.dir} failed. It needs g++ (or gcc), make and python3, and Node's ` +
        'headers (<prefix>/include/node). Set KUROSHIO_SKIP_NATIVE=1 to install without it.',
    );
    process.exit(result.status ?? 1);
  }
}
