/**
 * Automatic transcoding, as a user sees it: a Chromium publisher that can send only one codec,
 * a Chromium viewer that accepts only another, and between them two WebRtcEndpoints connected by
 * the official kurento-client. The viewer must decode the publisher's picture (its colours, where
 * they were painted) at full rate in the codec it asked for, and hear the publisher's tone; the
 * publisher's endpoint raises MediaTranscodingStateChanged.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inboundAudio, inboundVideo, outboundVideo, pollUntil, type PeerPage } from '../helpers/browser.js';
import type { EventQueue, Remote } from '../helpers/kurento-client.js';
import { FAKE_CAMERA, negotiate, nextMatching, Rig, waitForPicture, type Scene } from '../webrtc-browser/fixtures.js';

let rig: Rig;

before(async () => {
  rig = await Rig.start();
});

after(async () => {
  await rig?.close();
});

/** Left half red, right half blue: what the publisher paints. */
const LEFT = '#e01010';
const RIGHT = '#1020e0';
const TONE_HZ = 1000;

type VideoCodec = 'VP8' | 'VP9' | 'H264';

interface Call {
  publisher: Remote;
  publisherPage: PeerPage;
  viewer: Remote;
  viewerPage: PeerPage;
  /** The publisher's MediaTranscodingStateChanged events, subscribed before anything flowed. */
  transcoding: EventQueue;
}

/** Publisher page → its endpoint → the viewer's endpoint → viewer page, each page restricted as asked. */
async function call(scene: Scene, from: { codec: VideoCodec; audioCodec?: 'opus' }, to: { codec: VideoCodec; audioCodec?: 'opus' | 'PCMU' }): Promise<Call> {
  const pipeline = await scene.pipeline();
  const publisher = await pipeline.create('WebRtcEndpoint');
  const viewer = await pipeline.create('WebRtcEndpoint');
  const transcoding = publisher.events('MediaTranscodingStateChanged');
  const publisherPage = await scene.page();
  await negotiate(scene, publisherPage, publisher, { direction: 'sendonly', codec: from.codec, synthetic: { colors: [LEFT, RIGHT], tone: TONE_HZ }, ...(from.audioCodec ? { audioCodec: from.audioCodec } : {}) });
  const viewerPage = await scene.page();
  await negotiate(scene, viewerPage, viewer, {
    direction: 'recvonly',
    codec: to.codec,
    ...(to.audioCodec ? { audioCodec: to.audioCodec } : {}),
    beforeAnswer: () => publisher.call('connect', viewer),
  });
  return { publisher, publisherPage, viewer, viewerPage, transcoding };
}

/** Waits until the viewer shows the publisher's two halves, and returns the colours it saw. */
async function assertPublisherPicture(page: PeerPage): Promise<void> {
  const samples = await pollUntil(
    () => page.sampleRemoteVideo([[0.25, 0.4], [0.75, 0.4]]),
    (s) => s !== null && isColor(s[0]!, 'red') && isColor(s[1]!, 'blue'),
    10_000,
    'the viewer to show red on the left and blue on the right',
    200,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}; last samples ${JSON.stringify(await page.sampleRemoteVideo([[0.25, 0.4], [0.75, 0.4]]))}`);
  });
  assert.ok(samples);
}

function isColor([r, g, b]: [number, number, number], color: 'red' | 'blue'): boolean {
  return color === 'red' ? r > 150 && g < 90 && b < 90 : b > 150 && r < 90 && g < 90;
}

/**
 * Waits until the viewer decodes the given codec at 640x480, then measures the frames it decodes
 * over a few seconds: at least 25 a second.
 */
async function assertFullRate(page: PeerPage, codec: VideoCodec): Promise<number> {
  const first = inboundVideo(await waitForPicture(page, `transcoded ${codec}`))!;
  assert.equal(first.codec, `video/${codec}`, 'the codec the viewer decodes');
  assert.deepEqual([first.frameWidth, first.frameHeight], [FAKE_CAMERA.width, FAKE_CAMERA.height]);
  const start = { at: Date.now(), frames: first.framesDecoded ?? 0 };
  const end = await page.waitForPeerStats(() => Date.now() - start.at >= RATE_WINDOW_MS, RATE_WINDOW_MS + 5000, 'the rate window');
  const fps = (((inboundVideo(end)?.framesDecoded ?? 0) - start.frames) * 1000) / (Date.now() - start.at);
  assert.ok(fps >= 25, `the viewer decoded ${fps.toFixed(1)} frames a second of ${codec}`);
  assert.deepEqual([inboundVideo(end)?.frameWidth, inboundVideo(end)?.frameHeight], [FAKE_CAMERA.width, FAKE_CAMERA.height]);
  return Math.round(fps * 10) / 10;
}

/** How long the decoded frame rate is measured. */
const RATE_WINDOW_MS = 4000;

for (const [from, to] of [['VP8', 'H264'], ['H264', 'VP8'], ['VP9', 'H264']] as const) {
  test(`a ${from}-only publisher reaches an ${to}-only viewer: its picture at 640x480, 25 fps or more, transcoding reported`, (t) =>
    rig.scene(t, async (scene) => {
      const { publisher, publisherPage, viewerPage, transcoding } = await call(scene, { codec: from }, { codec: to });
      const fps = await assertFullRate(viewerPage, to).catch(async (err: Error) => {
        t.diagnostic(`publisher stats: ${JSON.stringify(await publisher.call('getStats', 'VIDEO'))}`);
        throw err;
      });
      await assertPublisherPicture(viewerPage);
      const event = await nextMatching(transcoding, (e) => e.mediaType === 'VIDEO', 10_000);
      assert.equal(event.state, 'TRANSCODING');
      assert.equal(event.binName, 'default');
      assert.equal(await publisher.call('isMediaTranscoding', 'VIDEO'), true);
      assert.equal(await publisher.call('isMediaTranscoding', 'AUDIO'), false, 'Opus reaches the viewer as it is');
      const sent = outboundVideo(await publisherPage.peerStats());
      t.diagnostic(`${from} → ${to}: ${fps} fps decoded; the publisher sends ${sent?.framesPerSecond} fps at ${sent?.frameWidth}x${sent?.frameHeight}`);
      transcoding.stop();
    }));
}

test('Opus from the publisher reaches a viewer that accepts only PCMU: the publisher\'s tone is what it hears', (t) =>
  rig.scene(t, async (scene) => {
    const { publisher, viewerPage, transcoding } = await call(scene, { codec: 'VP8', audioCodec: 'opus' }, { codec: 'VP8', audioCodec: 'PCMU' });
    await viewerPage.waitForPeerStats((s) => (inboundAudio(s)?.packetsReceived ?? 0) > 50, 15_000, 'PCMU packets at the viewer');
    assert.equal(inboundAudio(await viewerPage.peerStats())?.codec, 'audio/PCMU');
    const tones = await pollUntil(
      () => viewerPage.remoteTones([TONE_HZ, 440]),
      (s) => s !== null && Math.abs(s.peakHz - TONE_HZ) < 30 && s.peakDb > -70,
      10_000,
      `the viewer to hear ${TONE_HZ} Hz`,
      200,
    );
    t.diagnostic(`peak ${tones?.peakHz.toFixed(0)} Hz at ${tones?.peakDb.toFixed(1)} dB; ${TONE_HZ} Hz ${tones?.levels[0]?.toFixed(1)} dB, 440 Hz ${tones?.levels[1]?.toFixed(1)} dB`);
    const event = await nextMatching(transcoding, (e) => e.mediaType === 'AUDIO', 10_000);
    assert.equal(event.state, 'TRANSCODING');
    assert.equal(await publisher.call('isMediaTranscoding', 'AUDIO'), true);
    transcoding.stop();
  }));
