/**
 * A transcoding branch under bad input: a picture size change mid-stream (a publisher switching
 * cameras), corrupt and truncated frames, and the codec changing under a running link (another
 * source connected in). Each time an H.264-only Chromium viewer keeps decoding — never more than
 * a second without a new frame — and the media worker carries on (same process, no crash).
 *
 * Sources are PlayerEndpoints playing files made here by Debian's ffmpeg, key frame every half
 * second, so recovery never waits long for the source.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inboundVideo, type PeerPage } from '../helpers/browser.js';
import type { Remote } from '../helpers/kurento-client.js';
import { negotiate, nextMatching, Rig, waitForPicture, type Scene } from '../webrtc-browser/fixtures.js';

let rig: Rig;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kuroshio-faults-'));
  rig = await Rig.start();
});

after(async () => {
  await rig?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A clip of `seconds` at `size`, key frame every 15 frames, in a codec; returns its path. */
function clip(name: string, size: string, seconds: number, codec: 'vp8' | 'vp9' | 'h264', format = 'webm'): string {
  const path = join(dir, `${name}.${format}`);
  const codecArgs = {
    vp8: ['-c:v', 'libvpx', '-b:v', '800k', '-deadline', 'realtime', '-cpu-used', '8'],
    vp9: ['-c:v', 'libvpx-vp9', '-b:v', '800k', '-deadline', 'realtime', '-cpu-used', '8'],
    h264: ['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p'],
  }[codec];
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-t', String(seconds), '-g', '15', '-keyint_min', '15', ...codecArgs, '-an', path]);
  return path;
}

/**
 * Corrupts frames of a VP8 clip in its IVF form (12-byte frame headers: size, time): garbles the
 * middle of some frames and cuts others short, then puts it back in WebM without re-encoding.
 */
function corruptClip(): string {
  const ivf = join(dir, 'clean.ivf');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', clip('clean', '640x480', 6, 'vp8'), '-c', 'copy', ivf]);
  const data = readFileSync(ivf);
  const frames: Buffer[] = [];
  for (let offset = data.readUInt16LE(6); offset + 12 <= data.length; ) {
    const size = data.readUInt32LE(offset);
    frames.push(data.subarray(offset, offset + 12 + size));
    offset += 12 + size;
  }
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const out: Buffer[] = [data.subarray(0, data.readUInt16LE(6))];
  frames.forEach((frame, i) => {
    const copy = Buffer.from(frame);
    // Garbled from the frame's second byte on (its size fields and start code too).
    if (i >= 40 && i < 50) for (let k = 13; k < copy.length; k += 3) copy[k] = Math.floor(random() * 256);
    if (i === 80 || i === 81) {
      const cut = copy.subarray(0, 12 + 6); // six bytes of the frame left
      cut.writeUInt32LE(cut.length - 12, 0); // truncated: the header says what is left
      out.push(cut);
      return;
    }
    out.push(copy);
  });
  const corrupt = join(dir, 'corrupt.ivf');
  writeFileSync(corrupt, Buffer.concat(out));
  const webm = join(dir, 'corrupt.webm');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', corrupt, '-c', 'copy', webm]);
  return webm;
}

/** An H.264-only viewer page of `source` (connected before the answer), decoding. */
async function h264Viewer(scene: Scene, pipeline: Remote, source: Remote): Promise<{ viewer: Remote; page: PeerPage }> {
  const viewer = await pipeline.create('WebRtcEndpoint');
  const page = await scene.page();
  await negotiate(scene, page, viewer, { direction: 'recvonly', codec: 'H264', beforeAnswer: () => source.call('connect', viewer) });
  return { viewer, page };
}

/**
 * Watches the viewer's decoded frame count every 100 ms until `durationMs` passed; returns the
 * longest time it did not move, and the picture heights seen in order.
 */
async function watchDecoding(page: PeerPage, durationMs: number): Promise<{ longestStallMs: number; heights: number[] }> {
  const start = Date.now();
  let last = inboundVideo(await page.peerStats())?.framesDecoded ?? 0;
  let movedAt = Date.now();
  let longestStallMs = 0;
  const heights: number[] = [];
  while (Date.now() - start < durationMs) {
    const video = inboundVideo(await page.peerStats());
    const frames = video?.framesDecoded ?? 0;
    if (video?.frameHeight && heights.at(-1) !== video.frameHeight) heights.push(video.frameHeight);
    if (frames > last) {
      last = frames;
      movedAt = Date.now();
    }
    longestStallMs = Math.max(longestStallMs, Date.now() - movedAt);
    await new Promise((resolve) => setTimeout(resolve, 100)); // sampling cadence, not synchronisation
  }
  return { longestStallMs, heights };
}

async function assertWorkerAlive(pid: number): Promise<void> {
  assert.deepEqual(rig.server.workerPids(), [pid], 'the same media worker still serves');
  assert.doesNotThrow(() => process.kill(pid, 0), 'the worker process is alive');
  const crashes = rig.server.logs.filter((r) => /uncaught|died/i.test(String(r.msg)));
  assert.deepEqual(crashes, [], 'no uncaught error and no worker death was logged');
}

test('the publisher\'s picture size changes mid-stream: the transcoded viewer follows it without a stall', (t) =>
  rig.scene(t, async (scene) => {
    const big = clip('big', '640x480', 3, 'vp8');
    const small = clip('small', '320x240', 3, 'vp8');
    const list = join(dir, 'sizes.txt');
    writeFileSync(list, `file '${big}'\nfile '${small}'\n`);
    const both = join(dir, 'sizes.webm');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', both]);
    const pid = rig.server.workerPids()[0]!;
    const pipeline = await scene.pipeline();
    const player = await pipeline.create('PlayerEndpoint', { uri: `file://${both}`, useEncodedMedia: true });
    const { page } = await h264Viewer(scene, pipeline, player);
    await player.call('play');
    await waitForPicture(page, 'the first part');
    const { longestStallMs, heights } = await watchDecoding(page, 4500);
    t.diagnostic(`heights ${heights.join(' → ')}, longest stall ${longestStallMs} ms`);
    assert.deepEqual(heights.slice(-2), [480, 240], 'the viewer showed the new size');
    assert.ok(longestStallMs < 1000, `the viewer stalled ${longestStallMs} ms`);
    await assertWorkerAlive(pid);
  }));

test('corrupt and truncated frames: the branch resynchronises within a second, the worker carries on', (t) =>
  rig.scene(t, async (scene) => {
    const pid = rig.server.workerPids()[0]!;
    const pipeline = await scene.pipeline();
    const player = await pipeline.create('PlayerEndpoint', { uri: `file://${corruptClip()}`, useEncodedMedia: true });
    const { page } = await h264Viewer(scene, pipeline, player);
    await player.call('play');
    await waitForPicture(page, 'the clip');
    const { longestStallMs } = await watchDecoding(page, 4000);
    const stats = await player.call<Record<string, { mediaProcessing?: { decoder?: { decodeErrors: number; framesDropped: number } }[] }>>('getStats', 'VIDEO');
    const decoder = Object.values(stats).flatMap((s) => s.mediaProcessing ?? [])[0]?.decoder;
    t.diagnostic(`longest stall ${longestStallMs} ms; decoder: ${JSON.stringify(decoder)}`);
    assert.ok((decoder?.decodeErrors ?? 0) >= 1, 'the broken frames reached the decoder and were refused');
    assert.ok(longestStallMs < 1000, `the viewer stalled ${longestStallMs} ms`);
    await assertWorkerAlive(pid);
  }));

test('the codec changes under a running link (VP8, then VP9, then H.264 connected in): decoding goes on, transcoding ends when H.264 arrives', (t) =>
  rig.scene(t, async (scene) => {
    const pid = rig.server.workerPids()[0]!;
    const pipeline = await scene.pipeline();
    const players: Remote[] = [];
    for (const codec of ['vp8', 'vp9', 'h264'] as const) {
      const uri = `file://${clip(`switch-${codec}`, '640x480', 20, codec, codec === 'h264' ? 'mp4' : 'webm')}`;
      players.push(await pipeline.create('PlayerEndpoint', { uri }));
    }
    const passThrough = await pipeline.create('PassThrough');
    const transcoding = passThrough.events('MediaTranscodingStateChanged');
    const { page } = await h264Viewer(scene, pipeline, passThrough);
    for (const player of players) await player.call('play');
    await players[0]!.call('connect', passThrough);
    await waitForPicture(page, 'VP8 transcoded');
    const started = await nextMatching(transcoding, (e) => e.mediaType === 'VIDEO', 10_000);
    assert.equal(started.state, 'TRANSCODING');
    const stalls: number[] = [];
    for (const player of players.slice(1)) {
      await player.call('connect', passThrough);
      stalls.push((await watchDecoding(page, 2500)).longestStallMs);
    }
    t.diagnostic(`longest stalls after switching to VP9 and to H.264: ${stalls.join(', ')} ms`);
    for (const stall of stalls) assert.ok(stall < 1000, `the viewer stalled ${stall} ms`);
    const ended = await nextMatching(transcoding, (e) => e.mediaType === 'VIDEO' && e.state === 'NOT_TRANSCODING', 5000);
    assert.equal(ended.binName, 'default');
    assert.equal(await passThrough.call('isMediaTranscoding', 'VIDEO'), false, 'H.264 passes as it is');
    await assertWorkerAlive(pid);
    transcoding.stop();
  }));
