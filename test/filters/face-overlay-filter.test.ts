/**
 * FaceOverlayFilter on a photo from an npm package (a man at a table, from @vladmandic/human's
 * sample sheet, cropped and scaled to 640x480; his face, found by eye, spans about x 320..430,
 * y 60..175): the overlay image is drawn over the face region, and nowhere else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { create, eventsOf, invoke } from '../helpers/uri-endpoints.js';
import { filterClip, frameAt, makeClip, near, writePicture, type Rgb, useFilterStage } from './media.js';

const require = createRequire(import.meta.url);
const SAMPLES = join(dirname(dirname(require.resolve('@vladmandic/human'))), 'assets', 'samples.jpg');
const MAGENTA: Rgb = [255, 0, 255];


/** The sample sheet's third thumbnail, scaled to 640x480, as a 4 s clip. */
export async function faceClip(directory: string): Promise<string> {
  return makeClip(join(directory, 'face.webm'), { args: ['-loop', '1', '-i', SAMPLES, '-vf', 'crop=208:158:328:0,scale=640:480'] }, 4);
}

const stage = useFilterStage();

test('the overlay is drawn over the face, and nowhere else', async () => {
  const clip = await faceClip(stage.dir);
  const mask = await writePicture(join(stage.dir, 'mask.png'), Buffer.alloc(64 * 64 * 3, Buffer.from([255, 0, 255])), 64, 64, 'rgb24');
  const output = join(stage.dir, 'out.webm');
  const { filter } = await filterClip(stage.client, clip, output, async (pipeline) => {
    const filter = await create(stage.client, 'FaceOverlayFilter', { mediaPipeline: pipeline });
    // The image covers the face's box exactly.
    await invoke(stage.client, filter, 'setOverlayedImage', { uri: pathToFileURL(mask).href, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 1, heightPercent: 1 });
    return filter;
  });
  assert.deepEqual(eventsOf(stage.client, filter, 'Error'), []);
  const picture = await frameAt(output, 3);
  for (const [x, y] of [[372, 115], [345, 90], [400, 150]] as const) {
    const seen = picture.mean(x - 3, y - 3, 6, 6);
    assert.ok(near(seen, MAGENTA, 50), `(${x}, ${y}) on the face is covered: ${seen.map(Math.round).join(',')}`);
  }
  for (const [x, y] of [[100, 100], [560, 420], [200, 300], [372, 330]] as const) {
    const seen = picture.mean(x - 3, y - 3, 6, 6);
    assert.ok(!near(seen, MAGENTA, 60), `(${x}, ${y}) away from the face is not covered`);
  }
});
