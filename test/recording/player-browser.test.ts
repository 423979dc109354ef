/**
 * PlayerEndpoint into a WebRtcEndpoint, decoded by Chromium: files made by ffmpeg (VP8/Opus WebM,
 * H.264/AAC MP4 — the AAC transcoded to Opus on the way), the same served over HTTP, EndOfStream
 * at the end, real-time pacing, seeking and the video info of a seekable file. A viewer joining a
 * file sent as it is, with a key frame only every 12 s, gets its first picture at once: the player
 * makes a key frame on demand (the time is printed).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inboundAudio, inboundVideo, pollUntil } from '../helpers/browser.js';
import { connectPage, eventsOf, invoke, type PlayingPage, playIntoPage, tryInvoke, useBrowserStage, waitForEvent } from '../helpers/uri-endpoints.js';

let dir: string;
let http: Server;
let httpUrl: string;

/** A clip (4 s by default) with a key frame every second (`gop` frames), made by Debian's ffmpeg. */
function makeClip(name: string, codecArgs: string[], seconds = 4, gop = 30): string {
  const path = join(dir, name);
  const source = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(seconds)];
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...source, '-g', String(gop), '-keyint_min', String(gop), ...codecArgs, path]);
  return path;
}

/** Key frames of the long-GOP clips: one at the start, the next 12 s in. */
const LONG_GOP_S = 12;

const stage = useBrowserStage(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kuroshio-play-'));
  makeClip('clip.webm', ['-c:v', 'libvpx', '-deadline', 'realtime', '-c:a', 'libopus']);
  makeClip('clip.mp4', ['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart']);
  makeClip('long-gop.webm', ['-c:v', 'libvpx', '-deadline', 'realtime', '-c:a', 'libopus'], LONG_GOP_S + 1, 30 * LONG_GOP_S);
  makeClip('long-gop.mp4', ['-c:v', 'libx264', '-preset', 'ultrafast', '-x264-params', 'scenecut=0', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-c:a', 'aac'], LONG_GOP_S + 1, 30 * LONG_GOP_S);
  // A minimal file server with byte ranges, as FFmpeg's HTTP client seeks with them.
  http = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) : size - 1;
    res.writeHead(range ? 206 : 200, { 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes', ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}) });
    createReadStream(path, { start, end }).pipe(res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address() as { port: number };
  httpUrl = `http://127.0.0.1:${address.port}`;
});

after(async () => {
  await new Promise((resolve) => http?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function playToPage(uri: string): Promise<PlayingPage> {
  return playIntoPage(stage.client, stage.browser, stage.pages.url, uri);
}

async function expectPlayback(uri: string, videoCodec: string): Promise<void> {
  const { pipeline, player, page, playedAt } = await playToPage(uri);
  try {
    const stats = await page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > 20 && (inboundAudio(s)?.packetsReceived ?? 0) > 20, 15_000, 'decoded video and audio');
    assert.equal(inboundVideo(stats)?.codec, videoCodec);
    assert.equal(inboundAudio(stats)?.codec, 'audio/opus');
    assert.equal(inboundVideo(stats)?.frameWidth, 320);
    await waitForEvent(stage.client, player, 'EndOfStream', () => true, 15_000);
    const elapsed = Date.now() - playedAt;
    assert.ok(elapsed >= 3500 && elapsed < 7000, `a 4 s clip played in real time, took ${elapsed} ms`);
    await waitForEvent(stage.client, player, 'UriEndpointStateChanged', (d) => d.state === 'STOP');
    assert.deepEqual(eventsOf(stage.client, player, 'Error'), []);
    assert.deepEqual(eventsOf(stage.client, player, 'UriEndpointStateChanged').map((e) => e.state), ['START', 'STOP']);
  } finally {
    await page.close();
    await stage.client.call('release', { object: pipeline });
  }
}

test('a VP8/Opus WebM file plays into Chromium in real time, then EndOfStream', async () => {
  await expectPlayback(pathToFileURL(join(dir, 'clip.webm')).href, 'video/VP8');
});

test('an H.264/AAC MP4 file plays into Chromium: H.264 as is, AAC transcoded to Opus', async () => {
  await expectPlayback(pathToFileURL(join(dir, 'clip.mp4')).href, 'video/H264');
});

test('a file served over HTTP plays', async () => {
  await expectPlayback(`${httpUrl}/clip.webm`, 'video/VP8');
});

test('video info, seeking to the middle, position; seeking past the end fails with PLAYER_SEEK_FAIL', async () => {
  const { pipeline, player, page } = await playToPage(pathToFileURL(join(dir, 'clip.webm')).href);
  try {
    const info = await invoke(stage.client, player, 'getVideoInfo');
    assert.equal(info.isSeekable, true);
    assert.ok(Math.abs(info.duration - 4000) < 100, `duration ${info.duration}`);
    assert.equal(info.seekableEnd, info.duration);
    await page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > 5, 15_000, 'first frames');
    await invoke(stage.client, player, 'setPosition', { position: 2000 });
    const position = await invoke(stage.client, player, 'getPosition');
    assert.ok(position >= 1900 && position < 2600, `position after seeking to 2000: ${position}`);
    const before = inboundVideo(await page.peerStats())?.framesDecoded ?? 0;
    await page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > before + 15, 10_000, 'frames after the seek');
    const beyond = await tryInvoke(stage.client, player, 'setPosition', { position: 60_000 });
    assert.equal(beyond.error?.code, 40700);
    assert.equal(beyond.error?.data?.type, 'PLAYER_SEEK_FAIL');
    await waitForEvent(stage.client, player, 'EndOfStream', () => true, 10_000);
  } finally {
    await page.close();
    await stage.client.call('release', { object: pipeline });
  }
});

for (const [file, codec] of [['long-gop.webm', 'video/VP8'], ['long-gop.mp4', 'video/H264']] as const) {
  test(`a late viewer of ${codec} sent as it is gets a key frame made on demand, not the file's next one ${LONG_GOP_S} s later`, async () => {
    const { pipeline, player, page } = await playToPage(pathToFileURL(join(dir, file)).href);
    let late: Awaited<ReturnType<typeof connectPage>>['page'] | undefined;
    try {
      await page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > 30, 15_000, 'the first viewer decoding');
      const joined = await connectPage(stage.client, stage.browser, stage.pages.url, pipeline, { direction: 'recvonly' });
      late = joined.page;
      const linkedAt = Date.now();
      await invoke(stage.client, player, 'connect', { sink: joined.endpoint });
      await pollUntil(() => joined.page.call('state'), (s) => s.connectionState === 'connected', 15_000, 'the late viewer connected', 10);
      const connectedAt = Date.now();
      const firstViewerFrames = inboundVideo(await page.peerStats())?.framesDecoded ?? 0;
      const stats = await pollUntil(() => joined.page.peerStats(), (s) => (inboundVideo(s)?.framesDecoded ?? 0) > 0, LONG_GOP_S * 1000, "the late viewer's first frame", 10);
      const decodedAt = Date.now();
      console.log(`late viewer of a ${codec} file (key frames ${LONG_GOP_S} s apart): first frame decoded ${decodedAt - linkedAt} ms after connect(), ${decodedAt - connectedAt} ms after its peer connection was up`);
      assert.equal(inboundVideo(stats)?.codec, codec);
      assert.ok(decodedAt - linkedAt < 3000, `first frame ${decodedAt - linkedAt} ms after connect()`);
      // Both viewers go on decoding: the re-encoded frames, then the file's own again.
      await joined.page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > 30, 10_000, 'the late viewer decoding on');
      await page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > firstViewerFrames + 30, 10_000, 'the first viewer decoding on');
      assert.deepEqual(eventsOf(stage.client, player, 'Error'), []);
    } finally {
      await late?.close();
      await page.close();
      await stage.client.call('release', { object: pipeline });
    }
  });
}
