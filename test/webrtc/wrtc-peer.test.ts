/**
 * WebRtcEndpoint against libwebrtc (`@roamhq/wrtc`), an implementation independent of werift
 * and of Chromium's page stack: a publisher encodes a synthetic 640x480 picture and a tone
 * (VP8 and Opus: wrtc has no H.264), a second peer receives them through another endpoint
 * (publisher.connect(subscriber)) and decodes them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient } from '../helpers/raw-client.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { createPipeline, createWebRtcEndpoint, invoke, subscribe } from '../helpers/webrtc-rpc.js';
import { withTimeout } from '../helpers/werift-peer.js';
import { gradientFrame, loadWrtc, toneChunk, wrtcGatheringComplete, type Wrtc, type WrtcPeerConnection } from '../helpers/wrtc.js';

const WIDTH = 640;
const HEIGHT = 480;
const FPS = 20;

let server: RunningServer;
let client: RawClient;
let wrtc: Wrtc;

before(async () => {
  wrtc = loadWrtc();
  server = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  client = await RawClient.connect(server.url);
});

after(async () => {
  client?.close();
  await server?.stop();
});

/** Offers from the wrtc peer (candidates in its SDP), answers on the endpoint, trickles back. */
async function negotiate(pc: WrtcPeerConnection, endpoint: string): Promise<string> {
  await subscribe(client, endpoint, ['IceCandidateFound', 'IceGatheringDone']);
  await pc.setLocalDescription(await pc.createOffer());
  await wrtcGatheringComplete(pc);
  const answer = String(await invoke(client, endpoint, 'processOffer', { offer: pc.localDescription!.sdp }));
  await pc.setRemoteDescription({ type: 'answer', sdp: answer }).catch((err: Error) => {
    throw new Error(`libwebrtc refused the answer: ${err.message}\n${answer}`);
  });
  await invoke(client, endpoint, 'gatherCandidates');
  await client.waitForEvent('IceGatheringDone', endpoint);
  for (const event of client.events('IceCandidateFound').filter((e) => e.object === endpoint)) {
    const c = event.data.candidate as { candidate: string; sdpMid: string; sdpMLineIndex: number };
    await pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
  }
  return answer;
}

test('a libwebrtc peer publishes VP8 + Opus and another libwebrtc peer receives 640x480 frames and audio', async (t) => {
  const pipeline = await createPipeline(client);
  t.after(() => client.call('release', { object: pipeline }));
  const publisherEndpoint = await createWebRtcEndpoint(client, pipeline);
  const subscriberEndpoint = await createWebRtcEndpoint(client, pipeline);
  // KMS's semantics: a peer's media flows *out* of its endpoint into the pipeline, and *in* to the
  // endpoint that sends it to another peer.
  await subscribe(client, publisherEndpoint, ['MediaFlowOutStateChanged']);
  await subscribe(client, subscriberEndpoint, ['MediaFlowInStateChanged']);
  await invoke(client, publisherEndpoint, 'connect', { sink: subscriberEndpoint });

  // Publisher: synthetic camera and microphone.
  const videoSource = new wrtc.nonstandard.RTCVideoSource();
  const audioSource = new wrtc.nonstandard.RTCAudioSource();
  const videoTrack = videoSource.createTrack();
  const audioTrack = audioSource.createTrack();
  const publisher = new wrtc.RTCPeerConnection();
  publisher.addTransceiver(videoTrack, { direction: 'sendonly' });
  publisher.addTransceiver(audioTrack, { direction: 'sendonly' });
  let frameNumber = 0;
  let audioChunk = 0;
  const videoTimer = setInterval(() => videoSource.onFrame(gradientFrame(WIDTH, HEIGHT, frameNumber++)), 1000 / FPS);
  const audioTimer = setInterval(() => audioSource.onData(toneChunk(audioChunk++)), 10);

  // Subscriber: receives both kinds, decodes them.
  const subscriber = new wrtc.RTCPeerConnection();
  const videoIn = subscriber.addTransceiver('video', { direction: 'recvonly' });
  const audioIn = subscriber.addTransceiver('audio', { direction: 'recvonly' });
  const videoSink = new wrtc.nonstandard.RTCVideoSink(videoIn.receiver.track);
  const audioSink = new wrtc.nonstandard.RTCAudioSink(audioIn.receiver.track);
  // Enough decoded output: 30 frames at full size (1.5 s at 20 fps) and a second of the tone.
  const frames: { width: number; height: number }[] = [];
  let audioSamples = 0;
  let nonSilentSamples = 0;
  let enoughDecoded!: () => void;
  const decoded = new Promise<void>((resolve) => (enoughDecoded = resolve));
  const check = (): void => {
    if (frames.filter((f) => f.width === WIDTH && f.height === HEIGHT).length >= 30 && nonSilentSamples >= 48_000) enoughDecoded();
  };
  videoSink.onframe = ({ frame }) => {
    frames.push({ width: frame.width, height: frame.height });
    check();
  };
  audioSink.ondata = (data) => {
    audioSamples += data.samples.length;
    nonSilentSamples += data.samples.filter((s) => Math.abs(s) > 1000).length;
    check();
  };

  t.after(() => {
    clearInterval(videoTimer);
    clearInterval(audioTimer);
    videoSink.stop();
    audioSink.stop();
    videoTrack.stop();
    audioTrack.stop();
    publisher.close();
    subscriber.close();
  });

  const publisherAnswer = await negotiate(publisher, publisherEndpoint);
  assert.match(publisherAnswer, /a=rtpmap:\d+ VP8\/90000/i);
  assert.match(publisherAnswer, /a=rtpmap:\d+ opus\/48000\/2/i);
  const subscriberAnswer = await negotiate(subscriber, subscriberEndpoint);
  assert.match(subscriberAnswer, /a=rtpmap:\d+ VP8\/90000/i);

  await client.waitForEvent('MediaFlowOutStateChanged', publisherEndpoint, 20_000);
  await client.waitForEvent('MediaFlowInStateChanged', subscriberEndpoint, 20_000);

  await withTimeout(decoded, 20_000, 'decoded media did not arrive').catch((err: Error) => {
    throw new Error(`${err.message}: ${frames.length} frames (last ${JSON.stringify(frames.at(-1))}), ${audioSamples} audio samples, ${nonSilentSamples} above the noise floor`);
  });
  assert.deepEqual(frames.at(-1), { width: WIDTH, height: HEIGHT });
});
