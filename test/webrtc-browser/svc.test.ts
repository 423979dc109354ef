/**
 * SVC from Chromium: a publisher sends VP9 in the L3T3_KEY scalability mode (three spatial and
 * three temporal layers in one stream). Until layers are dropped per viewer, every layer is
 * forwarded: a viewer decodes the full picture.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inboundVideo, pollUntil } from '../helpers/browser.js';
import { assertKeepsRising, FAKE_CAMERA, framesDecoded, negotiate, Rig, waitConnected } from './fixtures.js';

let rig: Rig;

before(async () => {
  rig = await Rig.start();
});

after(async () => {
  await rig?.close();
});

test('a VP9 L3T3_KEY publisher: the viewer decodes the full picture in VP9', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const publisher = await pipeline.create('WebRtcEndpoint');
    const page = await scene.page();
    const { startedAt } = await negotiate(scene, page, publisher, { audio: false, codec: 'VP9', scalabilityMode: 'L3T3_KEY' });
    await waitConnected(page, startedAt);
    await pollUntil(() => page.peerStats(), (s) => (s.outbound.find((o) => o.kind === 'video')?.framesEncoded ?? 0) > 10, 20_000, 'the publisher encoding', 250);

    const viewer = await pipeline.create('WebRtcEndpoint');
    await publisher.call('connect', viewer);
    const viewerPage = await scene.page();
    await negotiate(scene, viewerPage, viewer, { direction: 'recvonly', audio: false });
    const stats = await viewerPage.waitForPeerStats((s) => (inboundVideo(s)?.frameWidth ?? 0) === FAKE_CAMERA.width && framesDecoded(s) > 0, 20_000, 'the viewer decoding the full picture');
    assert.match(inboundVideo(stats)?.codec ?? '', /VP9/i);
    await assertKeepsRising(viewerPage, { framesDecoded }, 3000);
  }));
