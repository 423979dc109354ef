/**
 * HttpPostEndpoint as a user sees it: a WebM (raw, chunked body) and an MP4 (multipart form)
 * uploaded with `curl` to `getUrl()` play to a Chromium viewer — red on the left, blue on the
 * right — and into a RecorderEndpoint whose file ffprobe reads; the upload's end raises
 * EndOfStream. An upload that is not media gets an HTTP error and an Error event, and the
 * endpoint takes a good upload afterwards.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil, type PeerPage } from '../helpers/browser.js';
import type { Remote } from '../helpers/kurento-client.js';
import { frameColors, isBlue, isRed, LEFT_RGB, probe, RIGHT_RGB, TONE_HZ } from '../helpers/rtp-peers.js';
import { negotiate, Rig, type Scene } from '../webrtc-browser/fixtures.js';

let rig: Rig;
let dir: string;
const media: Record<'webm' | 'mp4', string> = { webm: '', mp4: '' };
const SECONDS = 4;

before(async () => {
  // Any free port for uploads: other servers on this machine may hold KMS's 9091.
  rig = await Rig.start({}, ['--http-port', '0']);
  dir = mkdtempSync(join(tmpdir(), 'kuroshio-post-'));
  const picture = `color=c=0x${LEFT_RGB}:s=320x480:r=30,pad=640:480:0:0:color=0x${RIGHT_RGB},format=yuv420p`;
  const sources = ['-f', 'lavfi', '-i', picture, '-f', 'lavfi', '-i', `sine=frequency=${TONE_HZ}:sample_rate=48000`, '-t', String(SECONDS)];
  media.webm = join(dir, 'upload.webm');
  media.mp4 = join(dir, 'upload.mp4');
  for (const [file, codecs] of [
    [media.webm, ['-c:v', 'libvpx', '-deadline', 'realtime', '-g', '30', '-b:v', '800k', '-c:a', 'libopus']],
    [media.mp4, ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-pix_fmt', 'yuv420p', '-c:a', 'aac']],
  ] as const) {
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', ...sources, ...codecs, file]);
    assert.equal(made.status, 0, made.stderr.toString());
  }
});

after(async () => {
  await rig?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** curl's HTTP status for an upload (`form`: as a multipart file field, else a chunked raw body). */
async function curlUpload(url: string, file: string, form: boolean): Promise<number> {
  const args = form ? ['-F', `file=@${file}`] : ['-H', 'Transfer-Encoding: chunked', '-H', 'Content-Type: video/webm', '--data-binary', `@${file}`];
  const child = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', ...args, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await once(child, 'exit');
  return Number(out);
}

async function viewer(scene: Scene, pipeline: Remote, source: Remote): Promise<PeerPage> {
  const webrtc = await pipeline.create('WebRtcEndpoint');
  const page = await scene.page();
  await negotiate(scene, page, webrtc, { direction: 'recvonly', beforeAnswer: () => source.call('connect', webrtc) });
  return page;
}

for (const [kind, form, codecs] of [
  ['webm', false, ['opus', 'vp8']],
  ['mp4', true, ['aac', 'h264']],
] as const) {
  test(`a ${kind.toUpperCase()} uploaded with curl (${form ? 'multipart form' : 'chunked raw body'}) plays to Chromium and records to a file`, (t) =>
    rig.scene(t, async (scene) => {
      const pipeline = await scene.pipeline();
      const post = await pipeline.create('HttpPostEndpoint');
      const recording = join(dir, `recorded-${kind}.${kind === 'mp4' ? 'mp4' : 'webm'}`);
      const recorder = await pipeline.create('RecorderEndpoint', { uri: `file://${recording}`, mediaProfile: kind === 'mp4' ? 'MP4' : 'WEBM', stopOnEndOfStream: true });
      await post.call('connect', recorder);
      await recorder.call('record');
      const page = await viewer(scene, pipeline, post);
      const url = await post.call<string>('getUrl');
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}$/);
      const endOfStream = post.events('EndOfStream');
      const stopped = recorder.events('Stopped');
      const status = curlUpload(url, media[kind], form);
      await pollUntil(
        () => page.sampleRemoteVideo([[0.25, 0.5], [0.75, 0.5]]),
        (s) => s !== null && isRed(s[0]!) && isBlue(s[1]!),
        15_000,
        'the viewer to show the upload\'s red and blue halves',
        100,
      );
      assert.equal(await status, 200);
      await endOfStream.next(10_000);
      await stopped.next(15_000);
      const probed = probe(recording);
      assert.deepEqual(probed.codecs, [...codecs]);
      assert.ok(Math.abs(probed.durationS - SECONDS) < 1, `recorded ${probed.durationS} s of a ${SECONDS} s upload`);
      const [left, right] = frameColors(recording, SECONDS / 2, [[0.25, 0.5], [0.75, 0.5]]);
      assert.ok(isRed(left!) && isBlue(right!), `the recording shows ${JSON.stringify([left, right])}`);
      endOfStream.stop();
      stopped.stop();
    }));
}

test('an upload that is not media gets 415 and an Error event; the next upload plays', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const post = await pipeline.create('HttpPostEndpoint');
    const errors = post.events('Error');
    const url = await post.call<string>('getUrl');
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, randomBytes(256 * 1024));
    assert.equal(await curlUpload(url, junk, false), 415);
    const error = await errors.next(10_000);
    assert.equal(error.type, 'INVALID_MEDIA');
    errors.stop();
    const page = await viewer(scene, pipeline, post);
    const status = curlUpload(url, media.webm, false);
    await pollUntil(() => page.sampleRemoteVideo([[0.25, 0.5]]), (s) => s !== null && isRed(s[0]!), 15_000, 'the good upload in the viewer', 100);
    assert.equal(await status, 200);
    // A URL that names no endpoint is not found.
    assert.equal(await curlUpload(url.replace(/[0-9a-f-]{36}$/, '00000000-0000-0000-0000-000000000000'), media.webm, false), 404);
  }));
