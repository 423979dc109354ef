/**
 * RtpEndpoint pairs as bridges, the way Kurento applications cascade media: a browser publishes
 * into one pipeline, an RtpEndpoint offers, its peer RtpEndpoint in another pipeline answers, and a
 * second browser views the second pipeline. Once between pipelines on different media workers of
 * one server, once between two Kuroshio servers on loopback. The viewer must show the
 * publisher's picture and hear its tone: the media crossed both bridges' ends.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pollUntil, type PeerPage } from '../helpers/browser.js';
import { Kurento, type Remote } from '../helpers/kurento-client.js';
import { isBlue, isRed, TONE_HZ } from '../helpers/rtp-peers.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { negotiate, Rig, type Scene } from '../webrtc-browser/fixtures.js';

let rig: Rig;
let second: RunningServer;
let secondKurento: Kurento;

before(async () => {
  rig = await Rig.start({}, ['--workers', '2']);
  second = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  secondKurento = await Kurento.connect(second.url);
});

after(async () => {
  await secondKurento?.close();
  await second?.stop();
  await rig?.close();
});

/** Publisher page → WebRtcEndpoint → RtpEndpoint of `from`; RtpEndpoint → WebRtcEndpoint → viewer page of `to`. */
async function bridge(scene: Scene, from: Remote, to: Remote): Promise<PeerPage> {
  const publisher = await from.create('WebRtcEndpoint');
  const sending = await from.create('RtpEndpoint');
  const receiving = await to.create('RtpEndpoint');
  const viewer = await to.create('WebRtcEndpoint');
  await publisher.call('connect', sending);
  await receiving.call('connect', viewer);
  const offer = await sending.call<string>('generateOffer');
  const answer = await receiving.call<string>('processOffer', offer);
  await sending.call('processAnswer', answer);
  const publisherPage = await scene.page();
  await negotiate(scene, publisherPage, publisher, { direction: 'sendonly', synthetic: { colors: ['#e01010', '#1020e0'], tone: TONE_HZ } });
  const viewerPage = await scene.page();
  await negotiate(scene, viewerPage, viewer, { direction: 'recvonly' });
  return viewerPage;
}

async function assertPublisherSeen(page: PeerPage): Promise<void> {
  const points: [number, number][] = [[0.25, 0.5], [0.75, 0.5]];
  await pollUntil(() => page.sampleRemoteVideo(points), (s) => s !== null && isRed(s[0]!) && isBlue(s[1]!), 20_000, 'the viewer to show the publisher\'s halves', 200);
  await pollUntil(() => page.remoteTones([TONE_HZ]), (s) => s !== null && Math.abs(s.peakHz - TONE_HZ) < 30 && s.peakDb > -70, 15_000, `the viewer to hear ${TONE_HZ} Hz`, 200);
}

test('two pipelines on different media workers, bridged by an RtpEndpoint pair: the browser\'s media crosses', (t) =>
  rig.scene(t, async (scene) => {
    const first = await scene.pipeline();
    // The first pipeline's elements make its worker the busier one: the next pipeline goes elsewhere.
    await first.create('PassThrough');
    const other = await scene.pipeline();
    // The server's log reaches us on its own stream, possibly after the reply: wait for both lines.
    const placedOn = (pipelineId: string) => rig.server.waitForLog((r) => r.msg === 'pipeline placed' && r.pipelineId === pipelineId);
    const placed = await Promise.all([placedOn(first.id), placedOn(other.id)]);
    assert.equal(new Set(placed.map((r) => r.worker)).size, 2, `placements ${JSON.stringify(placed)}`);
    const viewer = await bridge(scene, first, other);
    await assertPublisherSeen(viewer);
  }));

test('two Kuroshio servers on loopback, bridged by an RtpEndpoint pair: the browser\'s media crosses', (t) =>
  rig.scene(t, async (scene) => {
    const first = await scene.pipeline();
    const remote = await secondKurento.create('MediaPipeline');
    try {
      const viewer = await bridge(scene, first, remote);
      await assertPublisherSeen(viewer);
    } finally {
      await remote.release();
    }
  }));
