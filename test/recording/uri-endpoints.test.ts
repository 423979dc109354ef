/**
 * Player and recorder without a browser: a PlayerEndpoint feeds a RecorderEndpoint directly.
 * Bad inputs (missing, unreadable and garbage files, ftp://, a refused and a silent server, a
 * missing or read-only directory) must each raise KMS's Error event and leave the element
 * stopped, never hanging; afterwards the same worker still records, pauses and resumes, and
 * streams recordings to an HTTP server by POST (KMS's method) and by PUT.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { RawClient } from '../helpers/raw-client.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { create, eventsOf, ffprobe, invoke, streamOf, subscribe, waitForEvent } from '../helpers/uri-endpoints.js';

let server: RunningServer;
let client: RawClient;
let dir: string;
let clip: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kuroshio-uri-'));
  clip = join(dir, 'clip.webm');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '3', '-g', '15', '-c:v', 'libvpx', '-deadline', 'realtime', '-c:a', 'libopus', clip]);
  server = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  client = await RawClient.connect(server.url);
});

after(async () => {
  client?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function pipeline(): Promise<string> {
  return create(client, 'MediaPipeline', {});
}

/** Plays `uri` and resolves with the Error event it raises, once the player is back in STOP. */
async function playerError(uri: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const p = await pipeline();
  try {
    const player = await create(client, 'PlayerEndpoint', { mediaPipeline: p, uri });
    await subscribe(client, player, 'Error', 'UriEndpointStateChanged', 'EndOfStream');
    await invoke(client, player, 'play');
    const error = await waitForEvent(client, player, 'Error', () => true, timeoutMs);
    await waitForEvent(client, player, 'UriEndpointStateChanged', (d) => d.state === 'STOP', timeoutMs);
    assert.equal(await invoke(client, player, 'getState'), 'STOP');
    assert.deepEqual(eventsOf(client, player, 'EndOfStream'), []);
    return error;
  } finally {
    await client.call('release', { object: p });
  }
}

test('player: a missing file is RESOURCE_ERROR_NOT_FOUND', async () => {
  const error = await playerError(pathToFileURL(join(dir, 'nothing-here.webm')).href);
  assert.equal(error.type, 'RESOURCE_ERROR_NOT_FOUND');
  assert.equal(error.errorCode, 3);
});

test('player: an unreadable file (a directory) is RESOURCE_ERROR_OPEN', async () => {
  const sub = join(dir, 'a-directory.webm');
  await mkdir(sub);
  const error = await playerError(pathToFileURL(sub).href);
  assert.equal(error.type, 'RESOURCE_ERROR_OPEN');
});

test('player: a garbage file is INVALID_MEDIA', async () => {
  const garbage = join(dir, 'garbage.webm');
  await writeFile(garbage, randomBytes(64 * 1024));
  const error = await playerError(pathToFileURL(garbage).href);
  assert.equal(error.type, 'INVALID_MEDIA');
  assert.equal(error.errorCode, 0);
});

test('player: an ftp:// URI is INVALID_URI', async () => {
  const error = await playerError('ftp://127.0.0.1/clip.webm');
  assert.equal(error.type, 'INVALID_URI');
});

test('player: a refused connection and a server that never answers are RESOURCE_ERROR_OPEN, in bounded time', async () => {
  const refused = createTcpServer();
  await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
  const closedPort = (refused.address() as { port: number }).port;
  await new Promise((resolve) => refused.close(resolve));
  const error = await playerError(`http://127.0.0.1:${closedPort}/clip.webm`);
  assert.equal(error.type, 'RESOURCE_ERROR_OPEN');

  const sockets: Socket[] = [];
  const silent = createTcpServer((socket) => sockets.push(socket)); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const started = Date.now();
    const stalled = await playerError(`http://127.0.0.1:${(silent.address() as { port: number }).port}/clip.webm`, 20_000);
    assert.match(String(stalled.type), /^RESOURCE_ERROR_(OPEN|READ)$/);
    assert.ok(Date.now() - started < 15_000);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

/** A player of the clip feeding a recorder of `uri`; play() starts both. */
async function playerToRecorder(uri: string, profile = 'WEBM'): Promise<{ p: string; player: string; recorder: string }> {
  const p = await pipeline();
  const player = await create(client, 'PlayerEndpoint', { mediaPipeline: p, uri: pathToFileURL(clip).href });
  const recorder = await create(client, 'RecorderEndpoint', { mediaPipeline: p, uri, mediaProfile: profile, stopOnEndOfStream: true });
  await subscribe(client, player, 'EndOfStream', 'Error');
  await subscribe(client, recorder, 'Error', 'Recording', 'Paused', 'Stopped', 'UriEndpointStateChanged');
  await invoke(client, player, 'connect', { sink: recorder });
  await invoke(client, recorder, 'record');
  await invoke(client, player, 'play');
  return { p, player, recorder };
}

for (const [what, path] of [
  ['a directory that does not exist', () => join(dir, 'no', 'such', 'dir', 'x.webm')],
  ['a read-only file system', () => '/sys/kuroshio-test.webm'],
] as const) {
  test(`recorder: recording into ${what} is RESOURCE_ERROR_OPEN and stops`, async () => {
    const { p, recorder } = await playerToRecorder(pathToFileURL(path()).href);
    try {
      const error = await waitForEvent(client, recorder, 'Error');
      assert.equal(error.type, 'RESOURCE_ERROR_OPEN');
      await waitForEvent(client, recorder, 'Stopped');
      assert.equal(await invoke(client, recorder, 'getState'), 'STOP');
    } finally {
      await client.call('release', { object: p });
    }
  });
}

test('recorder: `..` in a file URI is resolved by the file system: through a missing directory it is RESOURCE_ERROR_OPEN and writes nothing', async () => {
  // Read on paper, `<dir>/missing-sub/../escaped.webm` is `<dir>/escaped.webm`; the kernel
  // cannot go through `missing-sub`, so neither may the recorder.
  const { p, recorder } = await playerToRecorder(`file://${dir}/missing-sub/../escaped.webm`);
  try {
    const error = await waitForEvent(client, recorder, 'Error');
    assert.equal(error.type, 'RESOURCE_ERROR_OPEN');
    await waitForEvent(client, recorder, 'Stopped');
    await assert.rejects(stat(join(dir, 'escaped.webm')), { code: 'ENOENT' });
  } finally {
    await client.call('release', { object: p });
  }
});

test('recorder: stopOnEndOfStream, and pause/resume leaves the paused time out of the file', async () => {
  const file = join(dir, 'paused.webm');
  const { p, recorder } = await playerToRecorder(pathToFileURL(file).href);
  try {
    await delay(1000); // recording 1 s...
    await invoke(client, recorder, 'pause');
    await delay(1000); // ...skipping 1 s...
    await invoke(client, recorder, 'record');
    await waitForEvent(client, recorder, 'Stopped', () => true, 10_000); // ...and the rest, to the clip's end
    assert.deepEqual(eventsOf(client, recorder, 'UriEndpointStateChanged').map((e) => e.state), ['START', 'PAUSE', 'START', 'STOP']);
    assert.deepEqual(eventsOf(client, recorder, 'Error'), []);
    const probe = await ffprobe(file);
    const duration = Number(probe.format.duration);
    assert.ok(duration > 1.5 && duration < 2.5, `3 s played, 1 s paused: ${duration} s recorded`);
    assert.equal(streamOf(probe, 'video')?.codec_name, 'vp8');
    assert.equal(streamOf(probe, 'audio')?.codec_name, 'opus');
  } finally {
    await client.call('release', { object: p });
  }
});

test('recorder: an http:// target receives the recording as it is written, by POST (as KMS) or by PUT when the URI asks', async () => {
  const uploads = new Map<string, { method: string; chunks: Buffer[] }>();
  let ended = 0;
  let allEnded!: () => void;
  const bothEnded = new Promise<void>((resolve) => (allEnded = resolve));
  const http: Server = createHttpServer((req, res) => {
    const upload = { method: req.method ?? '', chunks: [] as Buffer[] };
    uploads.set(req.url ?? '', upload);
    assert.equal(req.headers['transfer-encoding'], 'chunked');
    req.on('data', (chunk: Buffer) => upload.chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(201).end();
      if (++ended === 2) allEnded();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    // Two recorders of one player: the default method, and PUT asked for in the fragment.
    const { p, player, recorder } = await playerToRecorder(`${base}/post.webm?token=a%3Db`);
    try {
      const put = await create(client, 'RecorderEndpoint', { mediaPipeline: p, uri: `${base}/put.webm#method=PUT`, mediaProfile: 'WEBM', stopOnEndOfStream: true });
      await subscribe(client, put, 'Error', 'Stopped');
      await invoke(client, player, 'connect', { sink: put });
      await invoke(client, put, 'record');
      for (const r of [recorder, put]) await waitForEvent(client, r, 'Stopped', () => true, 10_000);
      await bothEnded;
      assert.deepEqual(eventsOf(client, recorder, 'Error'), []);
      assert.deepEqual(eventsOf(client, put, 'Error'), []);
    } finally {
      await client.call('release', { object: p });
    }
    assert.deepEqual([...uploads.entries()].map(([url, u]) => [url, u.method]).sort(), [['/post.webm?token=a%3Db', 'POST'], ['/put.webm', 'PUT']]);
    for (const [name, upload] of uploads) {
      assert.ok(upload.chunks.length > 2, `${name}: the body arrived in pieces while recording`);
      const file = join(dir, `uploaded-${upload.method}.webm`);
      await writeFile(file, Buffer.concat(upload.chunks));
      const probe = await ffprobe(file);
      assert.equal(streamOf(probe, 'video')?.codec_name, 'vp8', name);
      assert.equal(streamOf(probe, 'audio')?.codec_name, 'opus', name);
    }
  } finally {
    await new Promise((resolve) => http.close(resolve));
  }
});
