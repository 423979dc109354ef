/**
 * A worker that dies at every start must not make the control process respawn it in a tight
 * loop: restarts back off, the server keeps answering (a `create` with no worker fails at once),
 * and service comes back when the cause goes away.
 *
 * The crash is injected from outside the product: a module preloaded into every node process of
 * the server (NODE_OPTIONS=--import) exits a media worker at boot while a flag file exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/server-process.js';
import { assertConnected, bootWorkerPids, createPair, nextWorkerPid, placementOf } from './fixtures.js';

const DIED = 'media worker died; replacing it';

test('a worker that keeps dying at boot is restarted with backoff, and recovers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kuroshio-crash-loop-'));
  const flag = join(dir, 'crash');
  const preload = join(dir, 'crash-at-boot.mjs');
  writeFileSync(
    preload,
    `import { existsSync } from 'node:fs';\n` +
      `if (process.argv[1]?.endsWith('/worker/main.js') && existsSync(${JSON.stringify(flag)})) process.exit(70);\n`,
  );
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${pathToFileURL(preload).href}`].filter(Boolean).join(' ');
  const server = await startServer({ args: ['--workers', '1'], env: { NODE_OPTIONS: nodeOptions } });
  let client: RawClient | undefined;
  try {
    client = await RawClient.connect(server.url);
    const [bootPid] = await bootWorkerPids(server, 1);
    assert.ok(bootPid);
    writeFileSync(flag, '');
    process.kill(bootPid, 'SIGKILL');

    // The kill is replaced at once; each death at boot then doubles the wait.
    await server.waitForLog((r) => r.msg === DIED && r.earlyDeaths === 4, 15_000);
    const deaths = server.logs.filter((r) => r.msg === DIED);
    assert.deepEqual(deaths.map((r) => r.restartInMs), [0, 250, 500, 1000]);
    assert.deepEqual(deaths.slice(1).map((r) => [r.code, r.wasReady]), [[70, false], [70, false], [70, false]]);
    for (let i = 1; i < deaths.length; i++) {
      const gap = Date.parse(String(deaths[i]!.time)) - Date.parse(String(deaths[i - 1]!.time));
      assert.ok(gap >= Number(deaths[i - 1]!.restartInMs), `restart ${i} came ${gap} ms after death ${i - 1}`);
    }

    // No worker: the server still answers, and a new pipeline fails at once instead of hanging.
    assert.equal((await client.call('ping', {})).value, 'pong');
    const refused = await client.request('create', { type: 'MediaPipeline', constructorParams: {}, properties: {} });
    assert.ok(refused.error, `create without a worker: ${JSON.stringify(refused)}`);
    assert.ok([40003, 40009].includes(refused.error.code as number), JSON.stringify(refused.error));
    assert.equal(server.process.exitCode, null);

    rmSync(flag);
    const recovered = await nextWorkerPid(server, [bootPid], 15_000);
    const pair = await createPair(client);
    assert.equal((await placementOf(server, pair.pipeline)).pid, recovered);
    await assertConnected(client, pair);
  } finally {
    client?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
