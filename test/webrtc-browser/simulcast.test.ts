/**
 * Simulcast from Chromium: a publisher page sends its camera as three layers (a=rid /
 * a=simulcast, 160x120, 320x240 and 640x480). The answer must be one Chromium accepts (it carries
 * the rtp-stream-id header extensions), and each viewer gets one layer: the top one when nothing
 * limits it, the one its `maxSimulcastLayer` allows otherwise, switching on keyframes without a
 * stall; in VP8 and in H.264.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { inboundVideo, pollUntil, type PeerConnectionStats, type PeerPage } from '../helpers/browser.js';
import type { Remote } from '../helpers/kurento-client.js';
import { assertKeepsRising, FAKE_CAMERA, framesDecoded, negotiate, Rig, waitConnected, type Scene } from './fixtures.js';

/** Chromium sends at most two layers of a 640x480 camera unless this limit is lifted. */
const SIMULCAST_FIELD_TRIAL = '--force-fieldtrials=WebRTC-LegacySimulcastLayerLimit/Disabled/';
const LAYERS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 400_000 },
  { rid: 'f', maxBitrate: 1_200_000 },
];

let rig: Rig;

before(async () => {
  rig = await Rig.start({}, [], { args: [SIMULCAST_FIELD_TRIAL] });
});

after(async () => {
  await rig?.close();
});

/** A publisher page sending three layers into a new WebRtcEndpoint; resolves once all three flow. */
async function publish(scene: Scene, pipeline: Remote, codec?: 'H264'): Promise<{ endpoint: Remote; page: PeerPage; answer: string }> {
  const endpoint = await pipeline.create('WebRtcEndpoint');
  const page = await scene.page();
  // negotiate() fails if the page rejects the answer.
  const { startedAt } = await negotiate(scene, page, endpoint, { audio: false, simulcast: LAYERS, ...(codec ? { codec } : {}) });
  const answer = await endpoint.call<string>('getLocalSessionDescriptor');
  await waitConnected(page, startedAt);
  await pollUntil(
    () => page.peerStats(),
    (s) => LAYERS.every(({ rid }) => (s.outbound.find((o) => o.rid === rid)?.packetsSent ?? 0) > 0),
    20_000,
    'the publisher sending all three layers',
    250,
  );
  return { endpoint, page, answer };
}

async function view(scene: Scene, publisher: Remote, pipeline: Remote, params: Record<string, unknown> = {}): Promise<{ endpoint: Remote; page: PeerPage }> {
  const endpoint = await pipeline.create('WebRtcEndpoint', params);
  await publisher.call('connect', endpoint);
  const page = await scene.page();
  await negotiate(scene, page, endpoint, { direction: 'recvonly', audio: false });
  return { endpoint, page };
}

const width = (s: PeerConnectionStats): number => inboundVideo(s)?.frameWidth ?? 0;

function waitForWidth(page: PeerPage, wanted: number, timeoutMs = 20_000): Promise<PeerConnectionStats> {
  return page.waitForPeerStats((s) => width(s) === wanted && framesDecoded(s) > 0, timeoutMs, `the viewer decoding ${wanted} px wide pictures`);
}

/**
 * Sets the viewer's maxSimulcastLayer to each layer in turn and checks it then decodes pictures of
 * the expected width, with frames decoded across the switch and no stall after it.
 */
async function switchThrough(t: TestContext, viewer: { endpoint: Remote; page: PeerPage }, steps: readonly (readonly [number, number])[], label: string): Promise<void> {
  for (const [layer, expected] of steps) {
    const before = framesDecoded(await viewer.page.peerStats());
    const asked = Date.now();
    await viewer.endpoint.invoke('setMaxSimulcastLayer', { maxSimulcastLayer: layer });
    const stats = await waitForWidth(viewer.page, expected, 10_000);
    t.diagnostic(`${label}layer ${layer}: ${expected} px wide after ${Date.now() - asked} ms`);
    assert.ok(framesDecoded(stats) > before, 'frames decoded across the switch');
    // Decoding goes on at every half second after the switch: no stall.
    await assertKeepsRising(viewer.page, { framesDecoded }, 2000, 500);
  }
}

test('a 3-layer simulcast offer gets an answer Chromium accepts, and a viewer decodes the top layer', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const { endpoint, answer } = await publish(scene, pipeline);
    assert.match(answer, /a=extmap:\d+ urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id/, 'rtp-stream-id in the answer');
    assert.match(answer, /a=extmap:\d+ urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id/, 'repaired-rtp-stream-id in the answer');
    assert.match(answer, /a=simulcast:recv q;h;f/, 'the layers received');

    const viewer = await view(scene, endpoint, pipeline);
    await waitForWidth(viewer.page, FAKE_CAMERA.width);
    await assertKeepsRising(viewer.page, { framesDecoded }, 3000);
    assert.equal(width(await viewer.page.peerStats()), FAKE_CAMERA.width, 'still the top layer');
  }));

test('maxSimulcastLayer picks the layer a viewer gets; switching up and down never stalls its decoding', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const { endpoint } = await publish(scene, pipeline);
    const viewer = await view(scene, endpoint, pipeline);
    await viewer.endpoint.invoke('setMaxSimulcastLayer', { maxSimulcastLayer: 0 });
    await waitForWidth(viewer.page, FAKE_CAMERA.width / 4);
    assert.equal(await viewer.endpoint.invoke('getMaxSimulcastLayer'), 0);

    await switchThrough(t, viewer, [
      [1, FAKE_CAMERA.width / 2],
      [-1, FAKE_CAMERA.width],
      [0, FAKE_CAMERA.width / 4],
    ], '');
  }));

test('H.264 simulcast: the viewer decodes the top layer, and maxSimulcastLayer moves it down and back up without a stall', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const { endpoint, answer } = await publish(scene, pipeline, 'H264');
    assert.match(answer, /a=rtpmap:\d+ H264\/90000/, 'H.264 in the answer');
    assert.doesNotMatch(answer, /a=rtpmap:\d+ VP8\/90000/, 'only the codec the page offered');
    const viewer = await view(scene, endpoint, pipeline);
    await waitForWidth(viewer.page, FAKE_CAMERA.width);
    assert.match(inboundVideo(await viewer.page.peerStats())?.codec ?? '', /H264/i, 'the viewer receives H.264');
    await switchThrough(t, viewer, [
      [0, FAKE_CAMERA.width / 4],
      [-1, FAKE_CAMERA.width],
    ], 'H.264 ');
  }));

test('the legacy form (a=ssrc-group:SIM edited into the offer): layers told apart by SSRC, the viewer gets the one maxSimulcastLayer allows', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const endpoint = await pipeline.create('WebRtcEndpoint');
    const page = await scene.page();
    const { startedAt } = await negotiate(scene, page, endpoint, { audio: false, legacySimulcast: 3 });
    await waitConnected(page, startedAt);
    await pollUntil(
      () => page.peerStats(),
      (s) => s.outbound.filter((o) => o.kind === 'video' && (o.packetsSent ?? 0) > 0).length === 3,
      20_000,
      'the publisher sending three streams',
      250,
    );
    const viewer = await view(scene, endpoint, pipeline);
    await waitForWidth(viewer.page, FAKE_CAMERA.width);
    await switchThrough(t, viewer, [
      [0, FAKE_CAMERA.width / 4],
      [1, FAKE_CAMERA.width / 2],
      [-1, FAKE_CAMERA.width],
    ], 'legacy ');
  }));
