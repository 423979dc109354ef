/**
 * `setVideoFormat`/`setAudioFormat` (KMS's forced caps on an element's input) go through the
 * decoded-media layer: a PassThrough told to take H.264 and PCMU gets its VP8 and Opus input
 * transcoded, so a Matroska recording behind it (which would store VP8 and Opus as they are)
 * holds H.264 and G.711 µ-law. Checked with ffprobe.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../helpers/raw-client.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { create, ffprobe, invoke, streamOf, subscribe, waitForEvent } from '../helpers/uri-endpoints.js';

let server: RunningServer;
let client: RawClient;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kuroshio-forced-'));
  server = await startServer({ args: ['--workers', '1'] });
  client = await RawClient.connect(server.url);
});

after(async () => {
  client?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function record(force: boolean): Promise<string> {
  const source = join(dir, 'source.webm');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=500', '-t', '3', '-c:v', 'libvpx', '-deadline', 'realtime', '-c:a', 'libopus', source]);
  const target = join(dir, `forced-${force}.mkv`);
  const pipeline = String((await client.call('create', { type: 'MediaPipeline', constructorParams: {} })).value);
  const player = await create(client, 'PlayerEndpoint', { mediaPipeline: pipeline, uri: `file://${source}` });
  const passThrough = await create(client, 'PassThrough', { mediaPipeline: pipeline });
  const recorder = await create(client, 'RecorderEndpoint', { mediaPipeline: pipeline, uri: `file://${target}`, mediaProfile: 'MKV', stopOnEndOfStream: true });
  if (force) {
    await invoke(client, passThrough, 'setVideoFormat', { caps: { codec: 'H264', framerate: { numerator: 30, denominator: 1 } } });
    await invoke(client, passThrough, 'setAudioFormat', { caps: { codec: 'PCMU', bitrate: 64000 } });
  }
  await subscribe(client, recorder, 'Stopped');
  await invoke(client, player, 'connect', { sink: passThrough });
  await invoke(client, passThrough, 'connect', { sink: recorder });
  await invoke(client, recorder, 'record');
  await invoke(client, player, 'play');
  await waitForEvent(client, recorder, 'Stopped', () => true, 20_000);
  await client.call('release', { object: pipeline });
  return target;
}

test('without a forced format, Matroska stores VP8 and Opus as they come', async () => {
  const probe = await ffprobe(await record(false));
  assert.equal(streamOf(probe, 'video')?.codec_name, 'vp8');
  assert.equal(streamOf(probe, 'audio')?.codec_name, 'opus');
});

test('setVideoFormat(H264) and setAudioFormat(PCMU) on the element in front make it H.264 and µ-law', async () => {
  const probe = await ffprobe(await record(true));
  assert.equal(streamOf(probe, 'video')?.codec_name, 'h264');
  assert.equal(streamOf(probe, 'audio')?.codec_name, 'pcm_mulaw');
  assert.equal(streamOf(probe, 'video')?.width, 320);
  assert.ok(Number(probe.format.duration) > 2 && Number(probe.format.duration) < 4, `duration ${probe.format.duration}`);
});
