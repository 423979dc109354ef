#!/usr/bin/env node
// Runs every test file of the built tree (dist/test/**/*.test.js) with Node's test runner, one
// file at a time: several tests start servers, browsers and media, and this machine has two cores.
// Usage: node scripts/run-tests.mjs [filter...]   (filters match parts of file paths)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const filters = process.argv.slice(2);

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'helpers' ? [] : collect(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const files = collect(root)
  .filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-force-exit', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
