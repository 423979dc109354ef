/**
 * ImageOverlayFilter: a PNG with transparency drawn where it was placed (its transparent parts
 * show the video), the `null` id the official JavaScript client's users pass, removeImage, and
 * bad images — not an image, a 20,000x20,000 PNG, an unreachable server — each an Error event
 * while the video goes on unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';
import { create, eventsOf, invoke, waitForEvent } from '../helpers/uri-endpoints.js';
import { filterClip, frameAt, makeClip, near, writePicture, type Rgb, useFilterStage } from './media.js';

let clip: string;
let overlay: string;

const BLUE: Rgb = [0, 0, 255];
const RED: Rgb = [255, 0, 0];

/** 100x100 RGBA: transparent, with an opaque red square of 50x50 in the middle. */
function redSquare(): Buffer {
  const pixels = Buffer.alloc(100 * 100 * 4);
  for (let y = 25; y < 75; y++) for (let x = 25; x < 75; x++) pixels.set([255, 0, 0, 255], (y * 100 + x) * 4);
  return pixels;
}

/** A PNG whose header claims 20,000x20,000 pixels (a decompression bomb's first bytes). */
function hugePngHeader(): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(20_000, 0);
  ihdr.writeUInt32BE(20_000, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.alloc(64)), chunk('IEND', Buffer.alloc(0))]);
}

const stage = useFilterStage(async ({ dir }) => {
  clip = await makeClip(join(stage.dir, 'blue.webm'), { lavfi: 'color=blue:s=640x480' }, 2);
  overlay = await writePicture(join(stage.dir, 'square.png'), redSquare(), 100, 100, 'rgba');
});

test('a PNG is drawn where it was placed, its transparent parts show the video (id null, as the JS client sends it)', async () => {
  const output = join(stage.dir, 'overlay.webm');
  await filterClip(stage.client, clip, output, async (pipeline) => {
    const filter = await create(stage.client, 'ImageOverlayFilter', { mediaPipeline: pipeline });
    // Box x 320..480, y 240..360 (fractions of 640x480); the image fitted (120x120) and centred: x 340..460.
    await invoke(stage.client, filter, 'addImage', { id: null, uri: pathToFileURL(overlay).href, offsetXPercent: 0.5, offsetYPercent: 0.5, widthPercent: 0.25, heightPercent: 0.25, keepAspectRatio: true, center: true });
    return filter;
  });
  const picture = await frameAt(output, 1.5);
  assert.ok(near(picture.mean(396, 296, 8, 8), RED), `the square's middle is red: ${picture.mean(396, 296, 8, 8).map(Math.round).join(',')}`);
  assert.ok(near(picture.mean(346, 250, 6, 6), BLUE), 'the transparent corner of the image shows the video');
  assert.ok(near(picture.mean(100, 100, 8, 8), BLUE), 'the rest of the picture is untouched');
});

test('removeImage takes the image away', async () => {
  const output = join(stage.dir, 'removed.webm');
  await filterClip(stage.client, clip, output, async (pipeline) => {
    const filter = await create(stage.client, 'ImageOverlayFilter', { mediaPipeline: pipeline });
    await invoke(stage.client, filter, 'addImage', { id: 'logo', uri: pathToFileURL(overlay).href, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 1, heightPercent: 1, keepAspectRatio: false, center: false });
    await invoke(stage.client, filter, 'removeImage', { id: 'logo' });
    return filter;
  });
  assert.ok(near((await frameAt(output, 1)).mean(316, 236, 8, 8), BLUE));
});

test('images that cannot be had give an Error event each, and the video goes on unchanged', async () => {
  const notAnImage = join(stage.dir, 'not-an-image.png');
  await writeFile(notAnImage, 'this is text, not a picture\n'.repeat(20));
  const huge = join(stage.dir, 'huge.png');
  await writeFile(huge, hugePngHeader());
  // A port nobody listens on.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const uris = {
    text: pathToFileURL(notAnImage).href,
    huge: pathToFileURL(huge).href,
    unreachable: `http://127.0.0.1:${port}/logo.png`,
    missing: pathToFileURL(join(stage.dir, 'missing.png')).href,
  };
  const output = join(stage.dir, 'bad.webm');
  let filter = '';
  await filterClip(
    stage.client,
    clip,
    output,
    async (pipeline) => (filter = await create(stage.client, 'ImageOverlayFilter', { mediaPipeline: pipeline })),
    async () => {
      // Added once the Error subscription is in place (filterClip subscribes before this).
      for (const [id, uri] of Object.entries(uris)) await invoke(stage.client, filter, 'addImage', { id, uri, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 1, heightPercent: 1, keepAspectRatio: false, center: false });
    },
  );
  await waitForEvent(stage.client, filter, 'Error', (e) => /'unreachable'/.test(e.description));
  const errors = eventsOf(stage.client, filter, 'Error').map((e) => String(e.description));
  assert.equal(errors.length, 4, errors.join('\n'));
  assert.ok(errors.some((e) => /image 'huge'.*too large \(20000x20000/.test(e)), errors.join('\n'));
  assert.ok(errors.some((e) => /image 'text'.*not an image/.test(e)), errors.join('\n'));
  assert.ok(errors.some((e) => /image 'missing'.*ENOENT/.test(e)), errors.join('\n'));
  assert.ok(near((await frameAt(output, 1)).mean(316, 236, 8, 8), BLUE), 'the video passed unchanged');
});
