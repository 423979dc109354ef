/**
 * HttpPostEndpoint's upload sessions over raw HTTP: a client that drops mid-upload and POSTs the
 * rest within `disconnectionTimeout` continues the same stream (one MediaSessionStarted, one
 * EndOfStream after all of the media); one that does not come back ends the stream when the
 * timeout passes; a second upload while one is in progress is refused (409); methods other than
 * POST get 405.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../helpers/raw-client.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { createPipeline, invoke, subscribe } from '../helpers/webrtc-rpc.js';

let server: RunningServer;
let client: RawClient;
let dir: string;
let webm: Buffer;
const SECONDS = 3;

before(async () => {
  server = await startServer({ args: ['--workers', '1', '--http-port', '0'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  client = await RawClient.connect(server.url);
  dir = mkdtempSync(join(tmpdir(), 'kuroshio-post-'));
  const file = join(dir, 'clip.webm');
  const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30', '-t', String(SECONDS), '-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '400k', file]);
  assert.equal(made.status, 0, made.stderr.toString());
  webm = readFileSync(file);
});

after(async () => {
  client?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function endpoint(params: Record<string, unknown> = {}): Promise<{ id: string; url: string }> {
  const pipeline = await createPipeline(client);
  const id = String((await client.call('create', { type: 'HttpPostEndpoint', constructorParams: { mediaPipeline: pipeline, ...params } })).value);
  await subscribe(client, id, ['EndOfStream', 'MediaSessionStarted', 'MediaSessionTerminated', 'Error']);
  return { id, url: String(await invoke(client, id, 'getUrl')) };
}

/** POSTs `body`; with `dropAfter`, the connection is cut once that many bytes were written. */
function post(url: string, body: Buffer, options: { method?: string; dropAfter?: number } = {}): Promise<number | 'dropped'> {
  return new Promise((resolve) => {
    const req = request(url, { method: options.method ?? 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve('dropped'));
    if (options.dropAfter !== undefined) {
      req.write(body.subarray(0, options.dropAfter), () => req.destroy());
      return;
    }
    req.end(body);
  });
}

test('a client that drops mid-upload and POSTs the rest within disconnectionTimeout continues the same stream', async () => {
  const { id, url } = await endpoint({ disconnectionTimeout: 5 });
  const half = Math.floor(webm.length / 2);
  const startedAt = Date.now();
  assert.equal(await post(url, webm, { dropAfter: half }), 'dropped');
  // The server notices the drop once it has read what the client had sent (the upload is read at
  // the media's pace); until then the endpoint is still busy with it, and a client retries.
  let status: number | 'dropped' = 409;
  const deadline = Date.now() + 4000;
  while (status === 409 && Date.now() < deadline) status = await post(url, webm.subarray(half));
  assert.equal(status, 200);
  const end = await client.waitForEvent('EndOfStream', id, 10_000);
  assert.ok(end);
  const elapsed = (Date.now() - startedAt) / 1000;
  assert.ok(elapsed >= SECONDS - 0.5, `the whole ${SECONDS} s of media was played in real time (${elapsed.toFixed(1)} s)`);
  const ours = client.events().filter((e) => e.object === id).map((e) => e.type);
  assert.deepEqual(ours.filter((t) => t === 'MediaSessionStarted'), ['MediaSessionStarted'], 'one session');
  assert.deepEqual(ours.filter((t) => t === 'Error'), []);
});

test('a client that does not come back ends the stream once disconnectionTimeout passes', async () => {
  const { id, url } = await endpoint({ disconnectionTimeout: 1 });
  const droppedAt = Date.now();
  assert.equal(await post(url, webm, { dropAfter: Math.floor(webm.length / 3) }), 'dropped');
  await client.waitForEvent('MediaSessionTerminated', id, 10_000);
  const waited = (Date.now() - droppedAt) / 1000;
  assert.ok(waited >= 1, `the stream waited the timeout (${waited.toFixed(1)} s)`);
});

test('one upload at a time (409), and only POST (405)', async () => {
  const { id, url } = await endpoint();
  const first = post(url, webm);
  // The first upload holds the endpoint for its media's duration: a second one is refused.
  await client.waitForEvent('MediaSessionStarted', id, 10_000);
  assert.equal(await post(url, webm), 409);
  assert.equal(await post(url, Buffer.alloc(0), { method: 'PUT' }), 405);
  assert.equal(await first, 200);
});
