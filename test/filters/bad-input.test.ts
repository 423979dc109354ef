/**
 * Filters under conditions their input does not promise: elements connected long before any
 * media and released without ever seeing any, and a stream whose picture size changes mid-way
 * (640x480, then 320x240) through a chain of filters. Nothing stalls, the worker carries on, and
 * what comes out after the change is still filtered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { create, eventsOf, invoke, subscribe } from '../helpers/uri-endpoints.js';
import { filterClip, frameAt, makeClip, near, useFilterStage, writePicture, type Rgb } from './media.js';

const run = promisify(execFile);
const stage = useFilterStage();
const HALVES = 'color=red:s=320x480[l];color=blue:s=320x480[r];[l][r]hstack';

test('filters connected before any media, and released without any, leave the worker serving', async () => {
  const { client } = stage;
  const pipeline = await create(client, 'MediaPipeline', {});
  const flip = await create(client, 'GStreamerFilter', { mediaPipeline: pipeline, command: 'videoflip method=horizontal-flip' });
  const overlay = await create(client, 'ImageOverlayFilter', { mediaPipeline: pipeline });
  const zbar = await create(client, 'ZBarFilter', { mediaPipeline: pipeline });
  const face = await create(client, 'FaceOverlayFilter', { mediaPipeline: pipeline });
  await invoke(client, face, 'setOverlayedImage', { uri: pathToFileURL(join(stage.dir, 'none.png')).href, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 1, heightPercent: 1 });
  await invoke(client, flip, 'connect', { sink: overlay });
  await invoke(client, overlay, 'connect', { sink: zbar });
  await invoke(client, zbar, 'connect', { sink: face });
  assert.equal(await invoke(client, overlay, 'isMediaFlowingIn', { mediaType: 'VIDEO' }), false);
  await client.call('release', { object: pipeline });
  // Still serving: a new pipeline with a filter works.
  const again = await create(client, 'MediaPipeline', {});
  await create(client, 'GStreamerFilter', { mediaPipeline: again, command: 'identity' });
  await client.call('release', { object: again });
});

test('a picture size change mid-stream goes through a chain of filters, still filtered after it', async () => {
  const big = await makeClip(join(stage.dir, 'big.webm'), { lavfi: HALVES }, 1.5);
  const smallPicture = join(stage.dir, 'small.webm');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=red:s=160x240[l];color=blue:s=160x240[r];[l][r]hstack', '-t', '1.5', '-r', '30', '-pix_fmt', 'yuv420p', '-c:v', 'libvpx', '-b:v', '1M', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', smallPicture]);
  const list = join(stage.dir, 'list.txt');
  await writeFile(list, `file '${big}'\nfile '${smallPicture}'\n`);
  const both = join(stage.dir, 'both.webm');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', both]);
  const mark = await writePicture(join(stage.dir, 'mark.png'), Buffer.alloc(32 * 32 * 3, Buffer.from([0, 255, 0])), 32, 32, 'rgb24');
  const output = join(stage.dir, 'changed.webm');
  const { client } = stage;
  let overlay = '';
  const { filter } = await filterClip(
    client,
    both,
    output,
    async (pipeline) => {
      const flip = await create(client, 'GStreamerFilter', { mediaPipeline: pipeline, command: 'videoflip method=horizontal-flip' });
      overlay = await create(client, 'ImageOverlayFilter', { mediaPipeline: pipeline });
      await invoke(client, overlay, 'addImage', { id: 'mark', uri: pathToFileURL(mark).href, offsetXPercent: 0.45, offsetYPercent: 0.05, widthPercent: 0.1, heightPercent: 0.1, keepAspectRatio: false, center: false });
      await invoke(client, flip, 'connect', { sink: overlay });
      return flip;
    },
    async (run) => {
      // The recorder hangs off the overlay, not the flip: re-link it.
      await invoke(client, run.filter, 'disconnect', { sink: run.recorder });
      await invoke(client, overlay, 'connect', { sink: run.recorder });
      await subscribe(client, overlay, 'Error');
    },
  );
  assert.deepEqual([...eventsOf(client, filter, 'Error'), ...eventsOf(client, overlay, 'Error')], []);
  const blue: Rgb = [0, 0, 255];
  const red: Rgb = [255, 0, 0];
  for (const at of [0.7, 2.4]) {
    const picture = await frameAt(output, at);
    assert.ok(near(picture.mean(120, 300, 8, 8), blue) && near(picture.mean(520, 300, 8, 8), red), `mirrored at ${at} s: ${picture.mean(120, 300, 8, 8).map(Math.round)} / ${picture.mean(520, 300, 8, 8).map(Math.round)}`);
    assert.ok(near(picture.mean(316, 40, 6, 6), [0, 255, 0], 60), `the mark is drawn at ${at} s: ${picture.mean(316, 40, 6, 6).map(Math.round)}`);
  }
});
