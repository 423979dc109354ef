/**
 * The control process never touches media, so it must not load the media libraries either:
 * FFmpeg (node-av's native binary, about 100 MB and 0.9 s to load) and werift live only in the
 * media workers, and there only once objects need them: an idle worker holds neither. Watched in
 * the real server: an ESM resolve hook preloaded into both kinds of process records what each one
 * imports, and the memory maps show where FFmpeg's libraries are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/server-process.js';
import { create } from '../helpers/uri-endpoints.js';

const RECORDER = fileURLToPath(new URL('../../../test/fixtures/import-recorder.mjs', import.meta.url));

function packagesIn(urls: string[]): Set<string> {
  const found = new Set<string>();
  for (const url of urls) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match) found.add(match[1]!);
  }
  return found;
}

test('the control process loads neither FFmpeg nor werift nor plugin implementations; a media worker loads them with its first objects', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kuroshio-imports-'));
  const log = join(dir, 'imports');
  const server = await startServer({ nodeArgs: ['--import', RECORDER], env: { KUROSHIO_IMPORT_LOG: log }, args: ['--workers', '1'] });
  let controlPid: number;
  let workerPid: number;
  let idleWorker: Set<string>;
  try {
    controlPid = server.process.pid!;
    workerPid = server.workerPids()[0]!;
    assert.ok(workerPid, 'the worker announced its pid');
    idleWorker = packagesIn((await readFile(`${log}.${workerPid}`, 'utf8')).split('\n'));
    assert.doesNotMatch(await readFile(`/proc/${workerPid}/maps`, 'utf8'), /node-av|libavcodec/, 'FFmpeg is mapped into an idle worker');
    const client = await RawClient.connect(server.url);
    try {
      const pipeline = await create(client, 'kurento.MediaPipeline', {});
      await create(client, 'kurento.WebRtcEndpoint', { mediaPipeline: pipeline });
      await create(client, 'chroma.ChromaFilter', { mediaPipeline: pipeline, window: { topRightCornerX: 0, topRightCornerY: 0, width: 10, height: 10 } });
    } finally {
      client.close();
    }
    assert.doesNotMatch(await readFile(`/proc/${controlPid}/maps`, 'utf8'), /node-av|libavcodec/, 'FFmpeg is mapped into the control process');
    assert.match(await readFile(`/proc/${workerPid}/maps`, 'utf8'), /node-av|libavcodec/, 'the worker has FFmpeg once it holds objects (the check can see it)');
  } finally {
    await server.stop();
  }
  try {
    const controlUrls = (await readFile(`${log}.${controlPid}`, 'utf8')).split('\n');
    const control = packagesIn(controlUrls);
    const workerUrls = (await readFile(`${log}.${workerPid}`, 'utf8')).split('\n');
    const worker = packagesIn(workerUrls);
    assert.ok(control.has('ws'), `the recorder saw the control process's imports: ${[...control].join(', ')}`);
    assert.ok(!control.has('node-av'), 'the control process imported node-av');
    assert.ok(!control.has('werift'), 'the control process imported werift');
    // Plugin modules: the control process loads their descriptions, never their implementations.
    assert.ok(controlUrls.some((u) => /\/modules\/chroma\/api\.js$/.test(u)), 'the control process loaded the bundled modules\' descriptions');
    assert.deepEqual(controlUrls.filter((u) => /\/modules\/[^/]+\/implementation\.js$/.test(u)), [], 'the control process imported a plugin implementation');
    for (const heavy of ['@vladmandic/human', '@undecaf/zbar-wasm', 'tesseract.js', '@tensorflow/tfjs-core']) assert.ok(!control.has(heavy), `the control process imported ${heavy}`);
    assert.ok(!idleWorker.has('node-av') && !idleWorker.has('werift'), `an idle worker's imports: ${[...idleWorker].join(', ')}`);
    assert.ok(worker.has('node-av') && worker.has('werift'), `the worker's imports: ${[...worker].join(', ')}`);
    assert.ok(workerUrls.some((u) => /\/modules\/chroma\/implementation\.js$/.test(u)), 'the worker loaded the chroma implementation for its ChromaFilter');
    assert.ok(!workerUrls.some((u) => /\/modules\/crowddetector\/implementation\.js$/.test(u)), 'the worker loaded an implementation no object needed');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
