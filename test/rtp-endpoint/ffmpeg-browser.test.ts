/**
 * RtpEndpoint with real RTP peers and a real browser, driven by the official kurento-client:
 *
 * - ffmpeg sends a red|blue picture and a 1 kHz tone as RTP, described by its own SDP (the
 *   answer to the endpoint's offer); the RtpEndpoint feeds a WebRtcEndpoint and Chromium must
 *   show red on the left, blue on the right, and hear the tone. An H.264 + PCMU peer reaches a
 *   VP8 + Opus browser through the decoded-media layer.
 * - Chromium sends its picture through a WebRtcEndpoint to an RtpEndpoint whose offer, pointed at
 *   ffmpeg's ports, ffmpeg receives and writes for 10 s: ffprobe must read the codecs the offer
 *   was answered with and a duration within 10 %, and the file must show the browser's colours.
 * - The same with SDES-SRTP: AES_128_CM_HMAC_SHA1_80 with ffmpeg as the peer both ways, and
 *   AES_256_CM_HMAC_SHA1_80 with GStreamer's libsrtp both ways (ffmpeg has no AES-256 suite).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inboundAudio, inboundVideo, pollUntil, type PeerPage } from '../helpers/browser.js';
import { clientModule, type Remote } from '../helpers/kurento-client.js';
import {
  ffmpegReceive,
  ffmpegSend,
  frameColors,
  freePortPair,
  gstReceiveSrtp256,
  gstSendSrtp256,
  gstreamerSrtpAvailable,
  isBlue,
  isRed,
  mediaPort,
  payloadTypeOf,
  pointOfferAt,
  probe,
  ssrcOf,
  TONE_HZ,
  type AudioCodec,
  type PeerProcess,
  type VideoCodec,
} from '../helpers/rtp-peers.js';
import { negotiate, Rig, type Scene } from '../webrtc-browser/fixtures.js';

let rig: Rig;
let dir: string;
const peers: PeerProcess[] = [];

before(async () => {
  rig = await Rig.start();
  dir = mkdtempSync(join(tmpdir(), 'kuroshio-rtp-'));
});

after(async () => {
  for (const p of peers) await p.stop();
  await rig?.close();
  rmSync(dir, { recursive: true, force: true });
});

function track<P extends PeerProcess>(peer: P): P {
  peers.push(peer);
  return peer;
}

type Crypto = { crypto: string; keyBase64?: string };

/** kurento-client's SDES, as an application builds the `crypto` parameter. */
function sdes(value: Crypto): object {
  const module = clientModule() as unknown as { getComplexType(name: string): (v: Crypto) => object };
  return module.getComplexType('SDES')(value);
}

/** A viewer page showing what `source` sends, through a WebRtcEndpoint. */
async function viewer(scene: Scene, pipeline: Remote, source: Remote, restrict: { codec?: 'VP8'; audioCodec?: 'opus' } = {}): Promise<PeerPage> {
  const webrtc = await pipeline.create('WebRtcEndpoint');
  const page = await scene.page();
  await negotiate(scene, page, webrtc, { direction: 'recvonly', ...restrict, beforeAnswer: () => source.call('connect', webrtc) });
  return page;
}

async function assertRedBlue(page: PeerPage): Promise<void> {
  const points: [number, number][] = [[0.25, 0.5], [0.75, 0.5]];
  await pollUntil(
    () => page.sampleRemoteVideo(points),
    (s) => s !== null && isRed(s[0]!) && isBlue(s[1]!),
    20_000,
    'the viewer to show red on the left and blue on the right',
    200,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}; last samples ${JSON.stringify(await page.sampleRemoteVideo(points))}`);
  });
}

async function assertTone(page: PeerPage): Promise<void> {
  await pollUntil(
    () => page.remoteTones([TONE_HZ, 440]),
    (s) => s !== null && Math.abs(s.peakHz - TONE_HZ) < 30 && s.peakDb > -70,
    15_000,
    `the viewer to hear ${TONE_HZ} Hz`,
    200,
  );
}

/** ffmpeg → RtpEndpoint (offer answered with ffmpeg's SDP) → WebRtcEndpoint → Chromium. */
async function fromFfmpeg(scene: Scene, video: VideoCodec, audio: AudioCodec, crypto?: Crypto, restrict: { codec?: 'VP8'; audioCodec?: 'opus' } = {}): Promise<{ rtp: Remote; page: PeerPage }> {
  const pipeline = await scene.pipeline();
  const rtp = await pipeline.create('RtpEndpoint', crypto ? { crypto: sdes(crypto) } : {});
  const offer = await rtp.call<string>('generateOffer');
  const page = await viewer(scene, pipeline, rtp, restrict);
  const { peer, sdp } = await ffmpegSend({
    video: { codec: video, port: mediaPort(offer, 'video') },
    audio: { codec: audio, port: mediaPort(offer, 'audio') },
    ...(crypto ? { srtpKey: crypto.keyBase64! } : {}),
    sdpFile: join(dir, `send-${randomBytes(4).toString('hex')}.sdp`),
  });
  track(peer);
  await rtp.call('processAnswer', sdp);
  return { rtp, page };
}

for (const [video, audio, restrict] of [
  ['VP8', 'opus', {}],
  ['H264', 'PCMU', { codec: 'VP8', audioCodec: 'opus' }],
] as const) {
  test(`ffmpeg sends ${video} + ${audio} with its own SDP: Chromium${restrict.codec ? ' (VP8 + Opus only)' : ''} shows its picture and hears its tone`, (t) =>
    rig.scene(t, async (scene) => {
      const { rtp, page } = await fromFfmpeg(scene, video, audio, undefined, restrict);
      await assertRedBlue(page);
      await assertTone(page);
      const stats = await page.peerStats();
      assert.equal(inboundVideo(stats)?.codec, restrict.codec ? 'video/VP8' : `video/${video}`);
      assert.equal(inboundAudio(stats)?.codec, 'audio/opus');
      assert.equal(await rtp.call('isMediaFlowingOut', 'VIDEO'), true);
      if (restrict.codec) assert.equal(await rtp.call('isMediaTranscoding', 'VIDEO'), true, 'H.264 is transcoded for the VP8-only viewer');
    }));
}

/** Chromium → WebRtcEndpoint → RtpEndpoint (generateOffer) → ffmpeg, 10 s into a file. */
async function toFfmpeg(scene: Scene, video: { codec: string; fmtp?: RegExp }, audio: string, file: string, crypto?: Crypto): Promise<{ rtp: Remote; receiver: PeerProcess }> {
  const pipeline = await scene.pipeline();
  const rtp = await pipeline.create('RtpEndpoint', crypto ? { crypto: sdes(crypto) } : {});
  const webrtc = await pipeline.create('WebRtcEndpoint');
  const page = await scene.page();
  await negotiate(scene, page, webrtc, { direction: 'sendonly', synthetic: { colors: ['#e01010', '#1020e0'], tone: TONE_HZ } });
  await webrtc.call('connect', rtp);
  const offer = await rtp.call<string>('generateOffer');
  const peerSdp = pointOfferAt(offer, {
    video: { port: await freePortPair(), payloadType: payloadTypeOf(offer, 'video', video.codec, video.fmtp) },
    audio: { port: await freePortPair(), payloadType: payloadTypeOf(offer, 'audio', audio) },
  });
  const sdpFile = join(dir, `receive-${randomBytes(4).toString('hex')}.sdp`);
  writeFileSync(sdpFile, peerSdp);
  const receiver = track(ffmpegReceive(sdpFile, file, 10));
  await rtp.call('processAnswer', peerSdp);
  return { rtp, receiver };
}

async function assertRecording(receiver: PeerProcess, file: string, codecs: string[]): Promise<void> {
  const code = await Promise.race([receiver.exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref())]);
  assert.equal(code, 0, `ffmpeg ended with ${String(code)}: ${receiver.log}`);
  const { codecs: found, durationS } = probe(file);
  assert.deepEqual(found, [...codecs].sort());
  assert.ok(Math.abs(durationS - 10) <= 1, `duration ${durationS} s`);
  const [left, right] = frameColors(file, 5, [[0.25, 0.5], [0.75, 0.5]]);
  assert.ok(isRed(left!) && isBlue(right!), `the file shows ${JSON.stringify([left, right])} at 5 s`);
}

for (const [video, audio, codecs] of [
  [{ codec: 'VP8' }, 'opus', ['vp8', 'opus']],
  [{ codec: 'H264', fmtp: /packetization-mode=1/ }, 'PCMU', ['h264', 'pcm_mulaw']],
] as const) {
  test(`Chromium → RtpEndpoint's offer → ffmpeg: 10 s of ${video.codec} + ${audio} in a file ffprobe reads`, (t) =>
    rig.scene(t, async (scene) => {
      const file = join(dir, `${video.codec}-${audio}.mkv`);
      const { receiver } = await toFfmpeg(scene, video, audio, file);
      await assertRecording(receiver, file, [...codecs]);
    }));
}

// ---- SDES-SRTP --------------------------------------------------------------------------------

const AES128: Crypto = { crypto: 'AES_128_CM_HMAC_SHA1_80', keyBase64: randomBytes(30).toString('base64') };

test('SRTP AES_128_CM_HMAC_SHA1_80 with ffmpeg, both ways: its picture in Chromium, Chromium\'s in its file', (t) =>
  rig.scene(t, async (scene) => {
    const { page } = await fromFfmpeg(scene, 'VP8', 'opus', AES128);
    await assertRedBlue(page);
    const file = join(dir, 'srtp128.mkv');
    const { receiver } = await toFfmpeg(scene, { codec: 'VP8' }, 'opus', file, AES128);
    await assertRecording(receiver, file, ['vp8', 'opus']);
  }));

test('SRTP with the wrong key: packets are dropped and counted, no media flows, the endpoint keeps serving', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const rtp = await pipeline.create('RtpEndpoint', { crypto: sdes(AES128) });
    const offer = await rtp.call<string>('generateOffer');
    const { peer, sdp } = await ffmpegSend({
      video: { codec: 'VP8', port: mediaPort(offer, 'video') },
      srtpKey: randomBytes(30).toString('base64'),
      sdpFile: join(dir, 'wrong-key.sdp'),
    });
    track(peer);
    // The answer names another key than the one ffmpeg encrypts with.
    await rtp.call('processAnswer', sdp.replace(/inline:[A-Za-z0-9+/=]+/, `inline:${randomBytes(30).toString('base64')}`));
    const rejected = await pollUntil(
      async () => Object.values(await rtp.call<Record<string, { type: string; srtpRejected?: number }>>('getStats')).find((s) => s.type === 'transport')?.srtpRejected ?? 0,
      (n) => n >= 30,
      10_000,
      'rejected SRTP packets',
      200,
    );
    t.diagnostic(`${rejected} packets rejected`);
    assert.equal(await rtp.call('isMediaFlowingOut', 'VIDEO'), false);
    assert.equal(await rtp.call('getConnectionState'), 'DISCONNECTED');
    assert.match(await rtp.call<string>('getLocalSessionDescriptor'), /RTP\/SAVPF/);
  }));

test('SRTP AES_256_CM_HMAC_SHA1_80 with GStreamer (libsrtp), both ways', { skip: gstreamerSrtpAvailable() ? false : 'GStreamer with srtp and vp8 plugins is not installed' }, (t) =>
  rig.scene(t, async (scene) => {
    const key = randomBytes(46);
    const crypto: Crypto = { crypto: 'AES_256_CM_HMAC_SHA1_80', keyBase64: key.toString('base64') };
    const peerKey = randomBytes(46);
    // GStreamer → RtpEndpoint → Chromium.
    const pipeline = await scene.pipeline();
    const rtp = await pipeline.create('RtpEndpoint', { crypto: sdes(crypto) });
    const offer = await rtp.call<string>('generateOffer', { offerToReceiveAudio: false });
    const page = await viewer(scene, pipeline, rtp);
    const peerSsrc = 0x1234567;
    const peerPort = await freePortPair();
    const answer = pointOfferAt(offer, { video: { port: peerPort, payloadType: 96 } }).replace(/inline:[A-Za-z0-9+/=]+/, `inline:${peerKey.toString('base64')}`);
    const file = join(dir, 'srtp256.webm');
    // The receiver listens on the port the answer gives, with our key; the sender uses its own.
    const receiver = track(gstReceiveSrtp256(peerPort, key.toString('hex'), ssrcOf(offer, 'video'), file));
    track(gstSendSrtp256(mediaPort(offer, 'video'), peerKey.toString('hex'), peerSsrc));
    await rtp.call('processAnswer', answer);
    // Chromium sees GStreamer's red picture...
    await pollUntil(() => page.sampleRemoteVideo([[0.5, 0.5]]), (s) => s !== null && isRed(s[0]!), 20_000, 'the viewer to show GStreamer\'s red picture', 200);
    // ...and GStreamer decrypts what the endpoint sends back (the same stream, looped through).
    await rtp.call('connect', rtp);
    await pollUntil(async () => (receiver.child.exitCode === null ? probeSize(file) : -1), (n) => n > 20_000, 20_000, 'GStreamer to write decrypted VP8', 500);
    await receiver.stop();
    const { codecs } = probe(file);
    assert.deepEqual(codecs, ['vp8']);
    const [center] = frameColors(file, 0.5, [[0.5, 0.5]]);
    assert.ok(isRed(center!), `GStreamer decoded ${JSON.stringify(center)}`);
  }));

function probeSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}
