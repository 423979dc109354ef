/**
 * A media worker must never outlive its control process: when the control process dies, the
 * worker sees its channel close and exits — even when its log pipe broke first (the reader of
 * the server's stderr went away), which once made a worker spin forever on EPIPE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/server-process.js';
import { assertConnected, bootWorkerPids, createPair, exitOf, processGone, waitUntil } from './fixtures.js';

test('a worker exits when its control process is killed, even with its log pipe broken', async () => {
  const server = await startServer({ args: ['--workers', '1'] });
  let worker: number | undefined;
  try {
    [worker] = await bootWorkerPids(server, 1);
    assert.ok(worker);
    const client = await RawClient.connect(server.url);
    const pair = await createPair(client);

    // The server's log reader goes away; the worker then logs (it ignores SIGTERM, at debug level).
    server.process.stderr!.destroy();
    process.kill(worker, 'SIGTERM');
    // The worker still answers (this request is served by it, after the signal was delivered).
    await assertConnected(client, pair);
    client.close();

    const exited = exitOf(server.process);
    server.process.kill('SIGKILL');
    await exited;
    const orphan = worker;
    await waitUntil(() => processGone(orphan), `the orphaned worker ${orphan} has exited`, 5_000);
  } finally {
    // Never leave a worker behind on a failure: nothing else would end it.
    if (worker !== undefined && !processGone(worker)) process.kill(worker, 'SIGKILL');
    await server.stop();
  }
});
