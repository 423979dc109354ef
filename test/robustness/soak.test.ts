/**
 * A short form of the quick hang-up soak (`bench/soak` runs the full 2,000 cycles): 10 clients
 * create a pipeline and a WebRtcEndpoint, process an offer and release at once. Afterwards the
 * server's processes hold the UDP sockets and file descriptors they held before, and resident
 * memory is back within 10%.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectorEnv } from '../helpers/inspector.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { describeSoak, soak } from '../helpers/soak.js';

let server: RunningServer;

before(async () => {
  server = await startServer({ args: ['--workers', '2', '--gc-period', '1'], env: inspectorEnv() });
});

after(async () => {
  await server?.stop();
});

test('300 quick create/offer/release cycles from 10 clients: sockets, descriptors and memory come back', async () => {
  const result = await soak(server, { cycles: 300, clients: 10, settleMs: 15_000 });
  console.log(`soak: ${describeSoak(result)}`);
  assert.ok(result.recovered, describeSoak(result));
});
