/**
 * Proves the browser harness itself, without Kuroshio: two Chromium pages connected directly, the
 * test relaying their signalling. If this fails, media tests against the server cannot be trusted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inboundAudio, inboundVideo, pollUntil, relayCandidates, TestBrowser, type PeerPage } from '../helpers/browser.js';
import { startPageServer, type PageServer } from '../helpers/page-server.js';

let pages: PageServer;
let browser: TestBrowser;

before(async () => {
  pages = await startPageServer();
  browser = await TestBrowser.launch();
});

after(async () => {
  await browser?.close();
  await pages?.close();
});

/** Offer/answer between two pages, then candidates both ways (relay failures fail the test). */
async function connect(offerer: PeerPage, answerer: PeerPage): Promise<Error[]> {
  const relayErrors: Error[] = [];
  const answer = await answerer.acceptOffer(await offerer.createOffer());
  await offerer.acceptAnswer(answer);
  relayCandidates(offerer, answerer, (err) => relayErrors.push(err));
  relayCandidates(answerer, offerer, (err) => relayErrors.push(err));
  return relayErrors;
}

test('two Chromium pages exchange fake camera video and microphone audio over loopback', async () => {
  const sender = await browser.openPeer(pages.url);
  const receiver = await browser.openPeer(pages.url);
  await sender.setup({ direction: 'sendonly', codec: 'VP8', dataChannel: 'chat' });
  await receiver.setup({ direction: 'recvonly' });
  const relayErrors = await connect(sender, receiver);

  // Chromium's fake camera is 640x480; the first frames may be scaled down while bandwidth
  // estimation ramps up, so wait for full size rather than read it once.
  const stats = await receiver.waitForPeerStats(
    (s) => {
      const video = inboundVideo(s);
      return (video?.framesDecoded ?? 0) > 10 && video?.frameWidth === 640 && video?.frameHeight === 480;
    },
    15_000,
    'decoded 640x480 video',
  );
  assert.equal(stats.connectionState, 'connected');
  assert.equal(inboundVideo(stats)?.codec, 'video/VP8');
  assert.ok(stats.candidatePair?.local?.address === '127.0.0.1' || stats.candidatePair?.local?.candidateType === 'host');

  const audio = await receiver.waitForPeerStats((s) => (inboundAudio(s)?.packetsReceived ?? 0) > 20, 5_000, 'audio packets');
  assert.equal(inboundAudio(audio)?.codec, 'audio/opus');

  // The <video> element shows what was decoded, and the page-wide instrumentation sees the same.
  const shown = await pollUntil(() => receiver.video('#remote'), (v) => v?.videoWidth === 640 && v.totalVideoFrames > 0, 5_000, 'remote <video> playing');
  assert.equal(shown?.videoHeight, 480);
  assert.equal((await receiver.stats()).length, 1);

  // The data channel opened by the sender reaches the receiver, and back.
  await pollUntil(() => sender.call('sendData', 'chat', 'hello'), (sent) => sent, 5_000, 'data channel open');
  await pollUntil(() => receiver.call('dataChannel', 'chat'), (c) => c?.messages.includes('hello') === true, 5_000, 'message received');
  assert.ok(await receiver.call('sendData', 'chat', 'hi back'));
  await pollUntil(() => sender.call('dataChannel', 'chat'), (c) => c?.messages.includes('hi back') === true, 5_000, 'reply received');

  assert.deepEqual(relayErrors, []);
  assert.deepEqual(sender.consoleErrors, []);
  assert.deepEqual(receiver.consoleErrors, []);
  await sender.close();
  await receiver.close();
});

test('H.264 can be forced through codec preferences', async () => {
  const sender = await browser.openPeer(pages.url);
  const receiver = await browser.openPeer(pages.url);
  await sender.setup({ direction: 'sendrecv', audio: false, codec: 'H264' });
  await receiver.setup({ direction: 'recvonly', audio: false });
  const relayErrors = await connect(sender, receiver);

  const stats = await receiver.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > 5, 15_000, 'decoded H.264 video');
  assert.equal(inboundVideo(stats)?.codec, 'video/H264');
  assert.deepEqual(relayErrors, []);
  await sender.close();
  await receiver.close();
});

// Chromium only gathers *active* TCP candidates (port 9), so two browsers cannot meet over ICE-TCP;
// against a server with passive TCP candidates they can. Here: the filter itself, both ways of ICE.
test('tcpOnly hands out no UDP candidate, trickled or inside the SDP', async () => {
  const trickle = await browser.openPeer(pages.url);
  await trickle.setup({ audio: false, tcpOnly: true });
  await trickle.createOffer();
  await pollUntil(() => trickle.call('state'), (s) => s.iceGatheringState === 'complete', 10_000, 'ICE gathering');
  const trickled = await trickle.call('localCandidates');
  assert.ok(trickled.length > 0 && trickled.every((c) => / tcp /i.test(c.candidate)), JSON.stringify(trickled));

  const whole = await browser.openPeer(pages.url);
  await whole.setup({ audio: false, tcpOnly: true, nonTrickle: true });
  const candidates = (await whole.createOffer()).split('\r\n').filter((l) => l.startsWith('a=candidate:'));
  assert.ok(candidates.length > 0 && candidates.every((l) => / tcp /i.test(l)), candidates.join('\n'));
  await trickle.close();
  await whole.close();
});
