/**
 * Kurento's magic mirror, as its tutorial builds it with the official kurento-client: a Chromium
 * page's camera (a fake camera playing a photo from an npm package: a man at a table, his face
 * at about x 320..430, y 60..175 of 640x480) → WebRtcEndpoint → FaceOverlayFilter → the same
 * WebRtcEndpoint → the page. The page must decode at least 25 frames a second with the overlay
 * (a magenta square sized to the face's box) over the face, and the rest of the picture as sent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { pollUntil } from '../helpers/browser.js';
import { negotiate, Rig, waitForPicture } from '../webrtc-browser/fixtures.js';
import { inboundVideo } from '../helpers/browser.js';
import { writePicture } from './media.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const SAMPLES = join(dirname(dirname(require.resolve('@vladmandic/human'))), 'assets', 'samples.jpg');
const RATE_WINDOW_MS = 4000;

let rig: Rig;
let dir: string;
let overlay: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kuroshio-mirror-'));
  const camera = join(dir, 'face.y4m');
  await run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', SAMPLES, '-vf', 'crop=208:158:328:0,scale=640:480,format=yuv420p', '-r', '30', '-t', '1', camera]);
  overlay = await writePicture(join(dir, 'mask.png'), Buffer.alloc(64 * 64 * 3, Buffer.from([255, 0, 255])), 64, 64, 'rgb24');
  rig = await Rig.start({}, [], { fakeVideoFile: camera });
});

after(async () => {
  await rig?.close();
  await rm(dir, { recursive: true, force: true });
});

const isMagenta = ([r, g, b]: [number, number, number]): boolean => r > 170 && b > 170 && g < 100;

test('magic mirror: the page sees its own picture at 25 fps or more with the overlay over the face', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const endpoint = await pipeline.create('WebRtcEndpoint');
    const faceOverlay = await pipeline.create('FaceOverlayFilter');
    await faceOverlay.call('setOverlayedImage', pathToFileURL(overlay).href, 0, 0, 1, 1);
    await endpoint.call('connect', faceOverlay);
    await faceOverlay.call('connect', endpoint);
    const page = await scene.page();
    await negotiate(scene, page, endpoint, { direction: 'sendrecv' });
    const first = inboundVideo(await waitForPicture(page, 'the mirrored picture'))!;
    const face: [number, number][] = [[372 / 640, 115 / 480], [345 / 640, 90 / 480], [400 / 640, 150 / 480]];
    const away: [number, number][] = [[100 / 640, 100 / 480], [560 / 640, 420 / 480], [200 / 640, 300 / 480]];
    const samples = await pollUntil(
      () => page.sampleRemoteVideo([...face, ...away]),
      (s) => s !== null && s.slice(0, 3).every(isMagenta),
      15_000,
      'the overlay over the face',
      200,
    );
    assert.ok(samples!.slice(3).every((p) => !isMagenta(p)), `away from the face the picture is as sent: ${JSON.stringify(samples!.slice(3))}`);
    const start = { at: Date.now(), frames: first.framesDecoded ?? 0 };
    const end = await page.waitForPeerStats(() => Date.now() - start.at >= RATE_WINDOW_MS, RATE_WINDOW_MS + 5000, 'the rate window');
    const fps = (((inboundVideo(end)?.framesDecoded ?? 0) - start.frames) * 1000) / (Date.now() - start.at);
    t.diagnostic(`the page decoded ${fps.toFixed(1)} frames a second through the FaceOverlayFilter`);
    assert.ok(fps >= 25, `the page decoded ${fps.toFixed(1)} frames a second`);
    const still = await page.sampleRemoteVideo(face);
    assert.ok(still !== null && still.every(isMagenta), `the overlay stays on the face: ${JSON.stringify(still)}`);
  }));
