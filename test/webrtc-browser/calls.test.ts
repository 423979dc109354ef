/**
 * Kurento's one-to-many and one-to-one tutorials with Chromium pages: a presenter broadcasting to
 * receive-only viewers (one joining late, one leaving, then the presenter leaving), and two pages
 * calling each other through two endpoints of one pipeline.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { inboundVideo, outboundVideo, type PeerPage } from '../helpers/browser.js';
import type { EventData, EventQueue, Remote } from '../helpers/kurento-client.js';
import {
  assertKeepsRising,
  audioPacketsReceived,
  FAKE_CAMERA,
  firstFrameDelay,
  framesDecoded,
  negotiate,
  nextMatching,
  stopSendingVideo,
  Rig,
  waitConnected,
  waitForPicture,
  waitUntilStill,
  watchFirstFrame,
  type Scene,
} from './fixtures.js';

let rig: Rig;

before(async () => {
  rig = await Rig.start();
});

after(async () => {
  await rig?.close();
});

interface Viewer {
  name: string;
  page: PeerPage;
  endpoint: Remote;
  /** The viewer endpoint's flow events from the moment it was created. */
  flowIn: EventQueue;
  /** Milliseconds from the start of signalling to the page's 'connected'. */
  connectMs: number;
}

/**
 * Adds a viewer as the one-to-many tutorial does: a default endpoint, the page's recvonly offer
 * processed, then `presenter.connect(viewer)` before the answer goes back and gathering starts.
 */
async function addViewer(scene: Scene, pipeline: Remote, presenter: Remote, name: string): Promise<Viewer> {
  const endpoint = await pipeline.create('WebRtcEndpoint');
  const flowIn = endpoint.events('MediaFlowInStateChanged');
  const page = await scene.page();
  const { startedAt } = await negotiate(scene, page, endpoint, {
    direction: 'recvonly',
    beforeAnswer: async () => {
      await presenter.call('connect', endpoint);
      await watchFirstFrame(page);
    },
  });
  const connectMs = await waitConnected(page, startedAt);
  return { name, page, endpoint, flowIn, connectMs };
}

test('one-to-many: three viewers decode the presenter; late viewer, viewer leaving, presenter leaving', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const presenterEndpoint = await pipeline.create('WebRtcEndpoint');
    const presenterFlowOut = presenterEndpoint.events('MediaFlowOutStateChanged');
    const presenter = await scene.page();
    const presenting = await negotiate(scene, presenter, presenterEndpoint, { direction: 'sendonly' });
    const presenterConnectMs = await waitConnected(presenter, presenting.startedAt);
    await presenter.waitForPeerStats((s) => (outboundVideo(s)?.framesEncoded ?? 0) > 0, 10_000, 'the presenter sending');
    // KMS's meaning: the presenter's media flows *out* of its endpoint into the pipeline.
    const presenterFlowing = await nextMatching(presenterFlowOut, (e) => e.mediaType === 'VIDEO', 10_000);
    assert.deepEqual(flowEvent(presenterFlowing), { state: 'FLOWING', mediaType: 'VIDEO', padName: 'default', source: presenterEndpoint.id });
    presenterFlowOut.stop();

    const first = [await addViewer(scene, pipeline, presenterEndpoint, 'viewer 1'), await addViewer(scene, pipeline, presenterEndpoint, 'viewer 2')];
    for (const viewer of first) {
      const stats = await waitForPicture(viewer.page, viewer.name);
      assert.equal(inboundVideo(stats)?.codec, 'video/VP8');
    }

    // The third viewer joins 5 s into the broadcast: it must not wait for the presenter's next
    // periodic keyframe (the server asks for one as soon as it can be forwarded).
    await delay(5000);
    const late = await addViewer(scene, pipeline, presenterEndpoint, 'late viewer');
    const lateDelay = await firstFrameDelay(late.page);
    console.log(`late viewer first frame: ${Math.round(lateDelay)} ms after connected`);
    console.log(`time to connect: presenter ${presenterConnectMs} ms, viewers ${[...first, late].map((v) => `${v.connectMs} ms`).join(', ')}`);
    assert.ok(lateDelay < 1000, `late viewer's first frame ${Math.round(lateDelay)} ms after connecting`);
    await waitForPicture(late.page, late.name);
    const viewers = [...first, late];
    // ...and *in* to each viewer's endpoint, which sends it to its page.
    for (const viewer of viewers) {
      const flowing = await nextMatching(viewer.flowIn, (e) => e.mediaType === 'VIDEO', 5_000);
      assert.deepEqual(flowEvent(flowing), { state: 'FLOWING', mediaType: 'VIDEO', padName: 'default', source: viewer.endpoint.id }, viewer.name);
    }

    // One viewer leaves: the others keep decoding.
    const [leaving, ...staying] = viewers as [Viewer, ...Viewer[]];
    await leaving.endpoint.release();
    await Promise.all(staying.map((v) => assertKeepsRising(v.page, { framesDecoded, audioPacketsReceived }, 3000, 500)));

    // The presenter leaves: each remaining viewer endpoint reports at once that no more media
    // reaches it (audio and video), and the pages stop receiving.
    const released = Date.now();
    await presenterEndpoint.release();
    for (const viewer of staying) {
      const ended = new Map<string, EventData>();
      while (ended.size < 2) {
        const event = await nextMatching(viewer.flowIn, (e) => e.state === 'NOT_FLOWING', 3_000);
        ended.set(String(event.mediaType), event);
      }
      const elapsed = Date.now() - released;
      t.diagnostic(`${viewer.name}: NOT_FLOWING ${elapsed} ms after the presenter was released`);
      assert.deepEqual(flowEvent(ended.get('VIDEO')!), { state: 'NOT_FLOWING', mediaType: 'VIDEO', padName: 'default', source: viewer.endpoint.id });
      assert.deepEqual(flowEvent(ended.get('AUDIO')!), { state: 'NOT_FLOWING', mediaType: 'AUDIO', padName: 'default', source: viewer.endpoint.id });
      assert.ok(elapsed < 1500, `NOT_FLOWING ${elapsed} ms after the release: it should not wait for the silence timeout`);
    }
    await Promise.all(
      staying.map(async (v) => {
        await waitUntilStill(v.page, framesDecoded, 1500, 10_000, `${v.name} frames`);
        await waitUntilStill(v.page, audioPacketsReceived, 1500, 10_000, `${v.name} audio`);
      }),
    );
    for (const v of viewers) v.flowIn.stop();
  }));

test('one-to-one: two pages, two endpoints connected both ways, each decodes the other at 640x480', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const [aliceEndpoint, bobEndpoint] = [await pipeline.create('WebRtcEndpoint'), await pipeline.create('WebRtcEndpoint')];
    await aliceEndpoint.call('connect', bobEndpoint);
    await bobEndpoint.call('connect', aliceEndpoint);
    const [alice, bob] = [await scene.page(), await scene.page()];
    const [a, b] = await Promise.all([negotiate(scene, alice, aliceEndpoint), negotiate(scene, bob, bobEndpoint)]);
    const connectMs = await Promise.all([waitConnected(alice, a.startedAt), waitConnected(bob, b.startedAt)]);
    t.diagnostic(`time to connect: alice ${connectMs[0]} ms, bob ${connectMs[1]} ms`);

    for (const page of [alice, bob]) {
      const stats = await waitForPicture(page);
      const video = inboundVideo(stats)!;
      assert.deepEqual([video.frameWidth, video.frameHeight], [FAKE_CAMERA.width, FAKE_CAMERA.height]);
    }
    await Promise.all([alice, bob].map((page) => assertKeepsRising(page, { framesDecoded, audioPacketsReceived }, 3000, 500)));

    // Each page shows the other's camera, not its own: when Bob's camera stops, Alice's picture
    // stops and Bob's does not.
    await stopSendingVideo(bob);
    await waitUntilStill(alice, framesDecoded, 1500, 10_000, "alice's frames");
    await assertKeepsRising(bob, { framesDecoded }, 2000, 500);
  }));

/** The fields of a flow event a user sees. */
function flowEvent(event: EventData): Record<string, unknown> {
  return { state: event.state, mediaType: event.mediaType, padName: event.padName, source: event.source };
}
