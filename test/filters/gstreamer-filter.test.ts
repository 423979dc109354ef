/**
 * GStreamerFilter without GStreamer: Kurento's classic `videoflip method=horizontal-flip`
 * mirrors the picture (checked pixel by pixel on a recorded frame), setElementProperty changes
 * the element while media flows, and commands KMS refuses get KMS's errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { create, invoke, subscribe, waitForEvent } from '../helpers/uri-endpoints.js';
import { filterClip, frameAt, makeClip, near, type Rgb, useFilterStage } from './media.js';

let clip: string;

// Left half red, right half blue, a green square near the top-left corner: every mirror image is different.
const SCENE = 'color=red:s=320x480[l];color=blue:s=320x480[r];[l][r]hstack[bg];color=lime:s=80x80[sq];[bg][sq]overlay=40:40';
const runFfmpeg = promisify(execFile);
const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];
const GREEN: Rgb = [0, 255, 0];

const stage = useFilterStage(async ({ dir }) => {
  clip = await makeClip(join(stage.dir, 'scene.webm'), { lavfi: SCENE }, 2);
});

test('videoflip method=horizontal-flip mirrors the picture', async () => {
  const out = join(stage.dir, 'flipped.webm');
  await filterClip(stage.client, clip, out, (pipeline) => create(stage.client, 'GStreamerFilter', { mediaPipeline: pipeline, command: 'videoflip method=horizontal-flip' }));
  const picture = await frameAt(out, 1);
  // The input has red on the left and the square at x 40..120; mirrored, blue is on the left
  // and the square at x 520..600.
  for (const [x, y, colour] of [[160, 300, BLUE], [480, 300, RED], [560, 80, GREEN], [80, 80, BLUE], [600, 240, RED], [20, 240, BLUE]] as const) {
    const seen = picture.mean(x - 4, y - 4, 8, 8);
    assert.ok(near(seen, colour as Rgb), `pixel (${x}, ${y}) is ${seen.map(Math.round).join(',')}, expected ${colour.join(',')}`);
  }
});

test('setElementProperty changes the element while media flows; getCommand gives the command', async () => {
  const out = join(stage.dir, 'desaturated.webm');
  await filterClip(
    stage.client,
    clip,
    out,
    (pipeline) => create(stage.client, 'GStreamerFilter', { mediaPipeline: pipeline, command: 'videobalance saturation=1.0' }),
    async ({ filter }) => {
      assert.equal(await invoke(stage.client, filter, 'getCommand'), 'videobalance saturation=1.0');
      await invoke(stage.client, filter, 'setElementProperty', { propertyName: 'saturation', propertyValue: '0.0' });
    },
  );
  const picture = await frameAt(out, 1);
  const left = picture.mean(200, 300, 8, 8);
  const right = picture.mean(440, 300, 8, 8);
  for (const grey of [left, right]) assert.ok(Math.max(...grey) - Math.min(...grey) < 25, `no colour left: ${grey.map(Math.round).join(',')}`);
});

test('commands KMS refuses: a chain, a bin, an unknown element, a bad value, a filter type that does not fit', async () => {
  const pipeline = await create(stage.client, 'MediaPipeline', {});
  const attempt = (command: string, filterType?: string) =>
    stage.client.request('create', { type: 'GStreamerFilter', constructorParams: { mediaPipeline: pipeline, command, ...(filterType ? { filterType } : {}) } });
  for (const command of ['videoflip method=horizontal-flip ! videobalance saturation=0', '( videoflip )', 'videoflip videobalance', 'fakesrc ! fakesink']) {
    const response = await attempt(command);
    assert.equal(response.error?.code, 40001, command);
    assert.equal(response.error?.message, 'Given command is not valid, only one element can be created', command);
  }
  const unknown = await attempt('nosuchelementatall');
  assert.equal(unknown.error?.code, 40001);
  assert.equal(unknown.error?.message, 'GStreamer element cannot be created: no element "nosuchelementatall"');
  const badValue = await attempt('videoflip method=sideways');
  assert.equal(badValue.error?.code, 40001);
  assert.match(String(badValue.error?.message), /'sideways' is not a valid value of 'method'/);
  const wrongType = await attempt('volume volume=0.5', 'VIDEO');
  assert.equal(wrongType.error?.code, 40001);
  // The server carries on: a good filter is still made, in the same pipeline.
  const ok = await create(stage.client, 'GStreamerFilter', { mediaPipeline: pipeline, command: 'videoflip method=vertical-flip' });
  assert.equal(await invoke(stage.client, ok, 'getCommand'), 'videoflip method=vertical-flip');
  await stage.client.call('release', { object: pipeline });
});

const hasGstreamer = spawnSync('gst-inspect-1.0', ['--exists', 'edgetv']).status === 0;

test('an element outside the FFmpeg table runs through the installed GStreamer (edgetv)', { skip: hasGstreamer ? false : 'GStreamer with edgetv is not installed' }, async () => {
  const out = join(stage.dir, 'edges.webm');
  await filterClip(stage.client, clip, out, (pipeline) => create(stage.client, 'GStreamerFilter', { mediaPipeline: pipeline, command: 'edgetv' }));
  const picture = await frameAt(out, 1);
  // edgetv keeps the edges only: flat areas go black.
  for (const [x, y] of [[200, 300], [480, 300]] as const) {
    const seen = picture.mean(x - 4, y - 4, 8, 8);
    assert.ok(Math.max(...seen) < 60, `(${x}, ${y}) of a flat area is dark: ${seen.map(Math.round).join(',')}`);
  }
});

/**
 * The loudest sample of a file's audio, in dB (ffmpeg's volumedetect), past its first 300 ms: an
 * Opus encoder's first frames overshoot a tone that starts abruptly by several dB.
 */
async function maxVolume(path: string): Promise<number> {
  const { stderr } = await runFfmpeg('ffmpeg', ['-v', 'info', '-i', path, '-vn', '-af', 'atrim=start=0.3,volumedetect', '-f', 'null', '-']);
  const match = /max_volume: (-?[\d.]+|-inf) dB/.exec(stderr);
  assert.ok(match, `volumedetect output: ${stderr.slice(-400)}`);
  return match[1] === '-inf' ? -Infinity : Number(match[1]);
}

test('an audio element (volume) works on the sound; the picture passes as it is', async () => {
  const withTone = join(stage.dir, 'tone.webm');
  await runFfmpeg('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', SCENE, '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000', '-t', '2', '-r', '30', '-pix_fmt', 'yuv420p', '-c:v', 'libvpx', '-b:v', '1M', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-c:a', 'libopus', withTone]);
  const results: Record<string, number> = {};
  for (const [name, command] of [['loud', 'volume volume=1.0'], ['quiet', 'volume volume=0.05']] as const) {
    const out = join(stage.dir, `${name}.webm`);
    const pipeline = await create(stage.client, 'MediaPipeline', {});
    const player = await create(stage.client, 'PlayerEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(withTone).href });
    const filter = await create(stage.client, 'GStreamerFilter', { mediaPipeline: pipeline, command, filterType: 'AUDIO' });
    const recorder = await create(stage.client, 'RecorderEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(out).href, mediaProfile: 'WEBM', stopOnEndOfStream: true });
    await subscribe(stage.client, recorder, 'Stopped');
    await invoke(stage.client, player, 'connect', { sink: filter });
    await invoke(stage.client, filter, 'connect', { sink: recorder });
    await invoke(stage.client, recorder, 'record');
    await invoke(stage.client, player, 'play');
    await waitForEvent(stage.client, recorder, 'Stopped', () => true, 30_000);
    await stage.client.call('release', { object: pipeline });
    results[name] = await maxVolume(out);
    if (name === 'quiet') assert.ok(near((await frameAt(out, 1)).mean(160, 300, 8, 8), RED), 'the picture is untouched');
  }
  // ffmpeg's sine source is at −18 dBFS; 0.05 is −26 dB.
  assert.ok(results.loud! > -22, `the tone at full volume: ${results.loud} dB`);
  assert.ok(results.loud! - results.quiet! > 20, `volume=0.05 lowers it: ${results.loud} dB → ${results.quiet} dB`);
});
