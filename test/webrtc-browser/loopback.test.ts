/**
 * Kurento's hello-world, by the book: one WebRtcEndpoint connected to itself, a Chromium page
 * sending its fake camera and microphone and getting them back. Once per video codec the page
 * forces, and once with a data channel echoed through the endpoint.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inboundAudio, inboundVideo, outboundVideo, type PeerPage } from '../helpers/browser.js';
import { assertKeepsRising, audioPacketsReceived, FAKE_CAMERA, framesDecoded, negotiate, Rig, waitConnected, waitForPicture } from './fixtures.js';

let rig: Rig;

before(async () => {
  rig = await Rig.start();
});

after(async () => {
  await rig?.close();
});

for (const codec of ['VP8', 'H264'] as const) {
  test(`hello-world loopback with ${codec} forced by the page: 640x480 decoded for 10 s, audio back`, (t) =>
    rig.scene(t, async (scene) => {
      const pipeline = await scene.pipeline();
      const endpoint = await pipeline.create('WebRtcEndpoint');
      await endpoint.call('connect', endpoint);
      const page = await scene.page();
      const { startedAt } = await negotiate(scene, page, endpoint, { codec });
      const connectMs = await waitConnected(page, startedAt);

      const stats = await waitForPicture(page);
      t.diagnostic(`${codec}: connected ${connectMs} ms after the offer started, 640x480 after ${Date.now() - startedAt} ms`);
      const video = inboundVideo(stats)!;
      assert.deepEqual([video.frameWidth, video.frameHeight], [FAKE_CAMERA.width, FAKE_CAMERA.height]);
      assert.equal(video.codec, `video/${codec}`, 'the codec the page decodes');
      assert.equal(outboundVideo(stats)?.codec, `video/${codec}`, 'the codec the page sends');
      assert.equal(inboundAudio(stats)?.codec, 'audio/opus');

      const samples = await assertKeepsRising(page, { framesDecoded, audioPacketsReceived }, 10_000);
      t.diagnostic(`${codec}: framesDecoded ${samples.framesDecoded!.join(' ')}`);
    }));
}

test('data channels: messages sent by the page come back through the endpoint, exact and in order', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const endpoint = await pipeline.create('WebRtcEndpoint', { useDataChannels: true });
    await endpoint.call('connect', endpoint);
    const opened = endpoint.events('DataChannelOpened');
    const page = await scene.page();
    await negotiate(scene, page, endpoint, { dataChannel: 'chat' });

    const event = await opened.next(15_000);
    assert.equal(typeof event.channelId, 'number', JSON.stringify(event));
    assert.equal(event.type, 'DataChannelOpened');
    assert.equal(event.source, endpoint.id);

    await pollOpen(page);
    const sent = Array.from({ length: 20 }, (_, i) => `message ${i}: ${'ü'.repeat(i)} ✓`);
    for (const text of sent) assert.equal(await page.call('sendData', 'chat', text), true, `sending ${text}`);
    const channel = await page.waitFor(
      () => (globalThis as unknown as { peer: { dataChannel(l: string): { messages: string[] } | null } }).peer.dataChannel('chat'),
      (c) => (c?.messages.length ?? 0) >= sent.length,
      10_000,
      'every message echoed',
    );
    assert.deepEqual(channel?.messages, sent);
    opened.stop();
  }));

/** Waits for the page's own channel to be open (the endpoint may report before the page does). */
async function pollOpen(page: PeerPage): Promise<void> {
  await page.waitFor(
    () => (globalThis as unknown as { peer: { dataChannel(l: string): { state: string } | null } }).peer.dataChannel('chat')?.state,
    (state) => state === 'open',
    10_000,
    'the page data channel open',
  );
}
