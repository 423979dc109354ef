/**
 * WHIP in, WHEP out, with real Chromium pages that speak plain WHIP/WHEP over `fetch`
 * (test/pages/whip.js: no Kurento client, no client of ours) to a pipeline an application built
 * with the official kurento-client as it always does: a WebRtcEndpoint connected to another.
 * The application only asks each endpoint for its URL. The pages sit on another origin (the page
 * server's port), so CORS is exercised too.
 *
 * GStreamer's WHIP client (whipsink, whipclientsink) is not in Debian's GStreamer on this
 * machine, nor a WHIP muxer in its ffmpeg: the browser page is the client that is not ours.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inboundAudio, inboundVideo, PeerPage, pollUntil } from '../helpers/browser.js';
import { waitForColors } from '../hubs/participants.js';
import { Rig, type Scene } from '../webrtc-browser/fixtures.js';

const PICTURE = { width: 320, height: 240, frameRate: 15 } as const;
const RED = '#e01010';
const TONE_HZ = 440;

interface Started {
  status: number;
  location: string;
  etag: string;
  contentType: string;
  answerCandidates: number;
}

interface WhipWindow {
  whip: {
    publish(url: string, token: string, options: unknown): Promise<Started>;
    play(url: string, token: string, options: unknown): Promise<Started>;
    patches(): Promise<{ status: number; candidates: number; end: boolean }[]>;
    stop(): Promise<{ status: number; again: number }>;
  };
}

let rig: Rig;

before(async () => {
  rig = await Rig.start();
});

after(async () => {
  await rig?.close();
});

async function whipPage(scene: Scene): Promise<PeerPage> {
  const page = await PeerPage.open(rig.browser.context, `${rig.pageServer.url}/whip.html`);
  scene.pages.push(page);
  return page;
}

test('a page publishes red and 440 Hz over WHIP into a Kurento-built pipeline; another plays it over WHEP and sees red and hears 440 Hz', (t) =>
  rig.scene(t, async (scene) => {
    // The application, with the official client: a publisher connected to a player, as usual.
    const pipeline = await scene.pipeline();
    const publisher = await pipeline.create('WebRtcEndpoint');
    const player = await pipeline.create('WebRtcEndpoint');
    await publisher.call('connect', player);
    const whipUrl = await publisher.invoke<string>('getWhipUrl', { bearerToken: 'publisher-secret' });
    const whepUrl = await player.invoke<string>('getWhepUrl', { bearerToken: 'viewer-secret' });
    t.diagnostic(`WHIP ${whipUrl}, WHEP ${whepUrl}, pages on ${rig.pageServer.url}`);
    const terminated = publisher.events('MediaSessionTerminated');

    const sender = await whipPage(scene);
    const startedAt = Date.now();
    const published = await sender.evaluate(
      ([url, token, options]) => (globalThis as unknown as WhipWindow).whip.publish(url, token, options),
      [whipUrl, 'publisher-secret', { synthetic: { colors: [RED], tone: TONE_HZ, toneGain: 0.5, ...PICTURE } }] as [string, string, unknown],
    );
    t.diagnostic(`WHIP POST: ${JSON.stringify(published)}`);
    assert.equal(published.status, 201);
    assert.equal(published.contentType, 'application/sdp');
    assert.ok(published.answerCandidates > 0, 'the answer carries the endpoint\'s candidates');

    const viewer = await whipPage(scene);
    const played = await viewer.evaluate(
      ([url, token]) => (globalThis as unknown as WhipWindow).whip.play(url, token, { audio: true, video: true }),
      [whepUrl, 'viewer-secret'] as [string, string],
    );
    t.diagnostic(`WHEP POST: ${JSON.stringify(played)}`);
    assert.equal(played.status, 201);

    await viewer.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > 0, 20_000, 'the WHEP page decoding video');
    const firstPictureMs = Date.now() - startedAt;
    const colours = await waitForColors(viewer, [[[0.5, 0.4], 'red'], [[0.2, 0.2], 'red'], [[0.8, 0.6], 'red']], 'red on the WHEP page', 15_000);
    const heard = await pollUntil(
      () => viewer.remoteTones([TONE_HZ]),
      (s) => s !== null && Math.abs(s.peakHz - TONE_HZ) < 20 && s.levels[0]! > -60,
      15_000,
      `the WHEP page to hear ${TONE_HZ} Hz`,
      200,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; heard ${JSON.stringify(await viewer.remoteTones([TONE_HZ]))}`);
    });
    const stats = await viewer.peerStats();
    const video = inboundVideo(stats)!;
    t.diagnostic(
      `WHEP page: first picture ${firstPictureMs} ms after the WHIP page started, ${video.frameWidth}x${video.frameHeight} ${video.codec}, ` +
        `colours ${JSON.stringify(colours)}, tone peak ${heard!.peakHz.toFixed(0)} Hz at ${heard!.levels[0]!.toFixed(0)} dB, ` +
        `audio ${inboundAudio(stats)?.codec} ${inboundAudio(stats)?.packetsReceived} packets`,
    );
    assert.deepEqual([video.frameWidth, video.frameHeight], [PICTURE.width, PICTURE.height]);

    const patches = {
      whip: await sender.evaluate(() => (globalThis as unknown as WhipWindow).whip.patches(), undefined),
      whep: await viewer.evaluate(() => (globalThis as unknown as WhipWindow).whip.patches(), undefined),
    };
    t.diagnostic(`trickle PATCHes: ${JSON.stringify(patches)}`);
    for (const p of [...patches.whip, ...patches.whep]) assert.equal(p.status, 204, JSON.stringify(p));
    assert.ok(patches.whip.some((p) => p.candidates > 0), 'the WHIP page trickled candidates');

    // The publisher hangs up: its endpoint's session ends, the element stays the application's.
    const stopped = await sender.evaluate(() => (globalThis as unknown as WhipWindow).whip.stop(), undefined);
    assert.deepEqual(stopped, { status: 200, again: 404 });
    await terminated.next(5_000);
    terminated.stop();
    assert.equal(await publisher.call('getConnectionState'), 'DISCONNECTED');
    // Chromium logs the second DELETE's 404, which the test asked for; nothing else.
    assert.deepEqual(sender.consoleErrors, ['Failed to load resource: the server responded with a status of 404 (Not Found)']);
    assert.deepEqual(viewer.consoleErrors, []);
  }));
