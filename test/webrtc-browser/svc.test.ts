/**
 * SVC from Chromium: a publisher sends VP9 in the L3T3_KEY scalability mode (spatial and temporal
 * layers in one stream). A viewer with no limit decodes the full picture; one whose
 * `maxSimulcastLayer` is lower gets the spatial layers up to it (the others are dropped from its
 * stream, with no gap in its numbering), moving down at once and up at the next key picture.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inboundVideo, type PeerConnectionStats, type PeerPage } from '../helpers/browser.js';
import type { Remote } from '../helpers/kurento-client.js';
import { assertKeepsRising, FAKE_CAMERA, framesDecoded, negotiate, Rig, waitConnected, type Scene } from './fixtures.js';

let rig: Rig;

before(async () => {
  rig = await Rig.start();
});

after(async () => {
  await rig?.close();
});

const width = (s: PeerConnectionStats): number => inboundVideo(s)?.frameWidth ?? 0;

/** A page publishing VP9 L3T3_KEY into a WebRtcEndpoint, and a viewer decoding its full picture. */
async function publishAndView(scene: Scene): Promise<{ viewer: Remote; viewerPage: PeerPage }> {
  const pipeline = await scene.pipeline();
  const publisher = await pipeline.create('WebRtcEndpoint');
  const page = await scene.page();
  const { startedAt } = await negotiate(scene, page, publisher, { audio: false, codec: 'VP9', scalabilityMode: 'L3T3_KEY' });
  await waitConnected(page, startedAt);
  const viewer = await pipeline.create('WebRtcEndpoint');
  await publisher.call('connect', viewer);
  const viewerPage = await scene.page();
  await negotiate(scene, viewerPage, viewer, { direction: 'recvonly', audio: false });
  await viewerPage.waitForPeerStats((s) => width(s) === FAKE_CAMERA.width && framesDecoded(s) > 0, 20_000, 'the viewer decoding the full picture');
  return { viewer, viewerPage };
}

test('a VP9 L3T3_KEY publisher: the viewer decodes the full picture in VP9', (t) =>
  rig.scene(t, async (scene) => {
    const { viewerPage } = await publishAndView(scene);
    assert.match(inboundVideo(await viewerPage.peerStats())?.codec ?? '', /VP9/i);
    await assertKeepsRising(viewerPage, { framesDecoded }, 3000);
    assert.equal(width(await viewerPage.peerStats()), FAKE_CAMERA.width, 'still the full picture');
  }));

test('a VP9 L3T3_KEY publisher: maxSimulcastLayer picks the spatial layers a viewer gets, down and back up without a stall', (t) =>
  rig.scene(t, async (scene) => {
    const { viewer, viewerPage } = await publishAndView(scene);
    // libwebrtc gives a 640x480 camera two spatial layers in L3T3_KEY (the lowest one it allows is
    // 320 px wide): 320x240 and 640x480.
    for (const [layer, expected] of [
      [0, FAKE_CAMERA.width / 2],
      [-1, FAKE_CAMERA.width],
      [0, FAKE_CAMERA.width / 2],
      [1, FAKE_CAMERA.width],
    ] as const) {
      const before = framesDecoded(await viewerPage.peerStats());
      const asked = Date.now();
      await viewer.invoke('setMaxSimulcastLayer', { maxSimulcastLayer: layer });
      await viewerPage.waitForPeerStats((s) => width(s) === expected && framesDecoded(s) > before, 10_000, `the viewer decoding ${expected} px wide pictures`);
      t.diagnostic(`spatial layer ${layer}: ${expected} px wide after ${Date.now() - asked} ms`);
      await assertKeepsRising(viewerPage, { framesDecoded }, 2000, 500);
      assert.equal(width(await viewerPage.peerStats()), expected, 'still that layer');
    }
    const after = inboundVideo(await viewerPage.peerStats());
    t.diagnostic(`viewer: ${after?.packetsReceived} packets, ${after?.packetsLost} lost, ${after?.nackCount} NACKs`);
    assert.ok((after?.packetsLost ?? 0) <= 2, 'dropped layers do not show as loss');
  }));
