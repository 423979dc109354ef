/**
 * A media worker loads FFmpeg (node-av) and werift only when an object needs them: a fresh worker
 * holds neither, a worker forwarding WebRTC (WebRtcEndpoints, PassThroughs) never maps FFmpeg, and
 * the first element working on decoded media brings it in. Seen from outside: the worker's memory
 * map (node-av's native binary and FFmpeg's libraries) and its resident memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/server-process.js';

const FFMPEG = /node-av|libavcodec/;
/** A fresh worker measured ~48 MiB; with FFmpeg and werift loaded at start it was ~105 MiB. */
const FRESH_WORKER_MAX_KIB = 64 * 1024;

async function rssKiB(pid: number): Promise<number> {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1]);
}

test('a media worker maps FFmpeg only once an element works on decoded media', async () => {
  const server = await startServer({ args: ['--workers', '1'] });
  const raw = await RawClient.connect(server.url);
  try {
    const deadline = Date.now() + 15_000;
    while (server.workerPids().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const worker = server.workerPids()[0]!;
    assert.ok(worker, 'the worker announced its pid');
    const maps = (): Promise<string> => readFile(`/proc/${worker}/maps`, 'utf8');

    assert.doesNotMatch(await maps(), FFMPEG, 'a fresh worker has FFmpeg mapped');
    const fresh = await rssKiB(worker);
    assert.ok(fresh < FRESH_WORKER_MAX_KIB, `a fresh worker holds ${Math.round(fresh / 1024)} MiB`);

    // An SFU's objects: packets pass as they are, no codec is needed.
    const pipeline = String((await raw.call('create', { type: 'MediaPipeline', constructorParams: {} })).value);
    const endpoint = String((await raw.call('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: pipeline } })).value);
    const passThrough = String((await raw.call('create', { type: 'PassThrough', constructorParams: { mediaPipeline: pipeline } })).value);
    await raw.call('invoke', { object: endpoint, operation: 'connect', operationParams: { sink: passThrough } });
    await raw.call('invoke', { object: passThrough, operation: 'connect', operationParams: { sink: endpoint } });
    assert.doesNotMatch(await maps(), FFMPEG, 'WebRtcEndpoints and PassThroughs brought FFmpeg in');

    // A filter decodes: now FFmpeg is there (and the check above could have seen it).
    await raw.call('create', { type: 'GStreamerFilter', constructorParams: { mediaPipeline: pipeline, command: 'videoflip method=horizontal-flip' } });
    assert.match(await maps(), FFMPEG, 'a GStreamerFilter runs without FFmpeg mapped');
    await raw.call('release', { object: pipeline });
  } finally {
    raw.close();
    await server.stop();
  }
});
