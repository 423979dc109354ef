/**
 * AlphaBlending, DispatcherOneToMany and Dispatcher with Chromium participants, through the
 * official kurento-client: what the viewers' pages show (colours at points of the picture),
 * how soon a change reaches them, and that they keep decoding through it (pauses timed in the
 * pages).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inboundVideo } from '../helpers/browser.js';
import { Rig } from '../webrtc-browser/fixtures.js';
import { join, LOOKS, stopWatching, waitForColors, waitForPictureSize, watchPictures } from './participants.js';

let rig: Rig;

before(async () => {
  rig = await Rig.start();
});

after(async () => {
  await rig?.close();
});

/** How soon a change must reach the viewers. */
const CHANGE_MS = 1000;
/** What the participants send (participants.ts). */
const PICTURE = { width: 320, height: 240 };

test('AlphaBlending: the viewer sees the master with the second picture where setPortProperties put it; a new placement shows within 1 s', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const blending = await pipeline.create('AlphaBlending');
    const master = await join(scene, pipeline, blending, LOOKS.red, { direction: 'sendonly' });
    const inset = await join(scene, pipeline, blending, LOOKS.green, { direction: 'sendonly' });
    const viewer = await join(scene, pipeline, blending, LOOKS.blue, { direction: 'recvonly' });
    await blending.call('setMaster', master.port, 1);
    await blending.call('setPortProperties', 0.5, 0.5, 2, 0.25, 0.25, inset.port);
    await waitForPictureSize(viewer.page, PICTURE);
    // Green fills [0.5, 0.75) x [0.5, 0.75); red is everywhere else.
    await waitForColors(viewer.page, [[[0.25, 0.25], 'red'], [[0.62, 0.62], 'green'], [[0.9, 0.9], 'red'], [[0.4, 0.62], 'red'], [[0.62, 0.85], 'red']], 'green in the lower right quarter of red', 15_000);

    const moved = Date.now();
    await blending.call('setPortProperties', 0.1, 0.1, 2, 0.25, 0.25, inset.port);
    await waitForColors(viewer.page, [[[0.22, 0.22], 'green'], [[0.62, 0.62], 'red']], 'green moved to the upper left', CHANGE_MS);
    t.diagnostic(`the new placement showed ${Date.now() - moved} ms after setPortProperties`);
  }));

test('DispatcherOneToMany with two presenters and two viewers: setSource switches what both viewers see within 1 s, and they keep decoding', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const dispatcher = await pipeline.create('DispatcherOneToMany');
    const red = await join(scene, pipeline, dispatcher, LOOKS.red, { direction: 'sendonly' });
    const blue = await join(scene, pipeline, dispatcher, LOOKS.blue, { direction: 'sendonly' });
    const viewers = [
      await join(scene, pipeline, dispatcher, LOOKS.green, { direction: 'recvonly' }),
      await join(scene, pipeline, dispatcher, LOOKS.yellow, { direction: 'recvonly' }),
    ];
    await dispatcher.call('setSource', red.port);
    for (const v of viewers) await waitForColors(v.page, [[[0.5, 0.5], 'red']], `${v.name} viewer shows the red presenter`, 15_000);

    await Promise.all(viewers.map((v) => watchPictures(v.page)));
    const switched = Date.now();
    await dispatcher.call('setSource', blue.port);
    const delays = await Promise.all(
      viewers.map(async (v) => {
        await waitForColors(v.page, [[[0.5, 0.5], 'blue']], `${v.name} viewer shows the blue presenter`, CHANGE_MS);
        return Date.now() - switched;
      }),
    );
    // Keep watching a while after the switch: the pictures must go on.
    const before = await Promise.all(viewers.map(async (v) => inboundVideo(await v.page.peerStats())?.framesDecoded ?? 0));
    await Promise.all(viewers.map((v, i) => v.page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > before[i]! + 30, 5000, 'pictures after the switch')));
    const watched = await Promise.all(viewers.map((v) => stopWatching(v.page)));
    t.diagnostic(`blue showed after ${delays.join(' and ')} ms; longest pauses ${watched.map((w) => w.longestGapMs).join(' and ')} ms; pauses over 150 ms (ms after setSource, length): ${JSON.stringify(watched.map((w) => w.pauses.map(([end, gap]) => [end - gap - switched, gap])))}`);
    // The switch is the server's part: a pause around it is the switch's doing. Pictures pass
    // through as the presenters sent them, so a pause elsewhere in the watch is a presenter's
    // page that stalled on a loaded machine, which the switch cannot hide.
    for (const [i, w] of watched.entries()) {
      const aroundSwitch = w.pauses.filter(([end, gap]) => end >= switched && end - gap <= switched + delays[i]! + 200);
      const longest = Math.max(0, ...aroundSwitch.map(([, gap]) => gap));
      assert.ok(longest < 500, `a viewer paused ${longest} ms at the switch`);
    }
    const stats = inboundVideo(await viewers[0]!.page.peerStats());
    assert.equal(stats?.keyFramesDecoded !== undefined && stats.keyFramesDecoded >= 2, true, 'the switch came with a key frame');
  }));

test('Dispatcher: connect(a, b) then connect(c, b) switches what b sees', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const dispatcher = await pipeline.create('Dispatcher');
    const a = await join(scene, pipeline, dispatcher, LOOKS.red, { direction: 'sendonly' });
    const c = await join(scene, pipeline, dispatcher, LOOKS.blue, { direction: 'sendonly' });
    const b = await join(scene, pipeline, dispatcher, LOOKS.green, { direction: 'recvonly' });
    await dispatcher.call('connect', a.port, b.port);
    await waitForColors(b.page, [[[0.5, 0.5], 'red']], 'b shows a', 15_000);
    const switched = Date.now();
    await dispatcher.call('connect', c.port, b.port);
    await waitForColors(b.page, [[[0.5, 0.5], 'blue']], 'b shows c', CHANGE_MS);
    t.diagnostic(`c showed at b ${Date.now() - switched} ms after connect`);
    assert.equal(await b.port.call('isMediaTranscoding', 'VIDEO'), false, 'VP8 crosses the Dispatcher as it is');
  }));
