#!/usr/bin/env node
// Second half of `npm run build` (after tsc): everything browsers load.
//  - dist/browser/kurento-utils.js: npm's kurento-utils@7.3.0 ships only CommonJS sources, no browser
//    bundle, so we bundle it here as a classic script defining the global `kurentoUtils`, exactly
//    what Kurento's bower package gave pages. `events` (Node's EventEmitter) comes from the `events`
//    polyfill package; esbuild resolves every other `require` inside kurento-utils' own dependencies.
//  - dist/console/: the live console page (console/app.ts with cytoscape and uPlot, its HTML and
//    CSS), which the server serves with --console.
//  - dist/browser/kuroshio-client.js: the typed client for pages, as the global `kuroshioClient`.
//  - the static files of test pages and examples, copied next to their compiled servers, so that
//    dist/ is self-contained and servers never reach back into the source tree.
import { build } from 'esbuild';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

await build({
  entryPoints: [join(root, 'node_modules/kurento-utils/lib/index.js')],
  bundle: true,
  platform: 'browser',
  format: 'iife',
  globalName: 'kurentoUtils',
  target: 'es2020',
  outfile: join(dist, 'browser/kurento-utils.js'),
  sourcemap: 'linked',
  logLevel: 'warning',
});

await build({
  entryPoints: [join(root, 'console/app.ts')],
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2020',
  minify: true,
  outfile: join(dist, 'console/app.js'),
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) cpSync(join(root, 'console', file), join(dist, 'console', file));
cpSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), join(dist, 'console/uPlot.min.css'));

await build({
  entryPoints: [join(root, 'client/dist/index.js')],
  bundle: true,
  platform: 'browser',
  format: 'iife',
  globalName: 'kuroshioClient',
  target: 'es2020',
  // Browsers have their own WebSocket; the Node one is only loaded where there is none.
  external: ['ws'],
  outfile: join(dist, 'browser/kuroshio-client.js'),
  sourcemap: 'linked',
  logLevel: 'warning',
});

/** Replaces `to` with a copy of `from`, so that files deleted from the source leave dist too. */
function mirror(from, to) {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}

mirror(join(root, 'test/pages'), join(dist, 'test/pages'));
const examples = join(root, 'examples');
for (const entry of readdirSync(examples, { withFileTypes: true })) {
  const staticDir = join(examples, entry.name, 'static');
  if (entry.isDirectory() && existsSync(staticDir)) mirror(staticDir, join(dist, 'examples', entry.name, 'static'));
}
