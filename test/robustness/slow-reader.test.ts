/**
 * A client that stops reading costs the server only what the outgoing bound allows, and nothing
 * once it is gone: the control process's retained memory (measured after forced collections,
 * through the inspector) returns to where it was before the client came.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { collectGarbage, heapFigures, inspectorEnv, inspectorUrls } from '../helpers/inspector.js';
import { pollUntil } from '../helpers/poll.js';
import { RawClient } from '../helpers/raw-client.js';
import { resultOf } from '../helpers/rpc-assert.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';

const MAX_OUTGOING = 8 * 1024 * 1024;
const MiB = 1024 * 1024;
/** Answers the duplicate-request cache keeps per session (src/session/request-cache.ts). */
const CACHED_PER_SESSION = 256;

let server: RunningServer;
let inspectors: string[];

before(async () => {
  server = await startServer({ args: ['--workers', '1', '--max-outgoing', String(MAX_OUTGOING)], env: inspectorEnv() });
  inspectors = inspectorUrls(server.logs.map((r) => String(r.msg)));
  assert.ok(inspectors.length >= 1, 'the processes announced their inspectors');
});

after(async () => {
  await server?.stop();
});

/** Retained heap and buffers of the server's processes (after two forced collections), bytes. */
async function retained(): Promise<number> {
  await collectGarbage(inspectors);
  const figures = await heapFigures(inspectors);
  return figures.heapUsed + figures.external;
}

test('a client that stops reading is cut off at the bound, and the server\'s memory comes back to where it was', async (t) => {
  // A warm-up round trip first, so what the first request loads is in the baseline.
  const warm = await RawClient.connect(server.url);
  const answerBytes = JSON.stringify(await warm.request('invoke', { object: 'manager_ServerManager', operation: 'getKmd', operationParams: { moduleName: 'core' } })).length;
  warm.close();
  const baseline = await retained();

  const socket = new WebSocket(server.url);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  (socket as unknown as { _socket: import('node:net').Socket })._socket.pause();
  const dropped = server.waitForLog((r) => r.msg === 'client not reading its messages disconnected', 60_000);
  let id = 0;
  const flood = setInterval(() => {
    for (let i = 0; i < 20; i++) socket.send(JSON.stringify({ jsonrpc: '2.0', id: id++, method: 'invoke', params: { object: 'manager_ServerManager', operation: 'getKmd', operationParams: { moduleName: 'core' } } }));
  }, 10);
  let record: Record<string, unknown>;
  try {
    record = await dropped;
  } finally {
    clearInterval(flood);
    socket.terminate();
  }
  const queued = Number(record.buffered);
  assert.ok(queued > MAX_OUTGOING && queued < MAX_OUTGOING + 4 * MiB, `cut off with ${queued} bytes queued (bound ${MAX_OUTGOING})`);

  // At once, the client's session holds no more than its latest answers in the duplicate-request
  // cache (KMS's, kept 20 s for a client's retries); when they expire, nothing is left of it.
  const afterwards = await retained();
  const cacheBound = CACHED_PER_SESSION * answerBytes;
  t.diagnostic(`retained ${(baseline / MiB).toFixed(1)} MiB before, ${(afterwards / MiB).toFixed(1)} MiB after ${id} requests and a cut-off at ${(queued / MiB).toFixed(1)} MiB queued (answers of ${answerBytes} bytes)`);
  assert.ok(afterwards - baseline < cacheBound + 2 * MiB, `the server kept ${((afterwards - baseline) / MiB).toFixed(1)} MiB of the client`);
  const cleared = Date.now();
  const settled = await pollUntil(retained, (bytes) => bytes - baseline < 2 * MiB, 40_000, 'the retained memory to come back to its baseline', 2000);
  t.diagnostic(`back to ${(settled / MiB).toFixed(1)} MiB ${Date.now() - cleared} ms later`);

  // Still serving.
  const other = await RawClient.connect(server.url);
  assert.equal(resultOf(await other.request('ping')).value, 'pong');
  other.close();
});
