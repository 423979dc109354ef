/**
 * Who is speaking, from the levels Chromium puts in its audio packets (RFC 6464): a page sends a
 * tone, then silence, then the tone again, and the WebRtcEndpoint says so with
 * SpeakingStateChanged and with `audioLevel` in getStats; a tone below `speakingThreshold` is not
 * speech. The official client refuses to subscribe to events and call methods its module files
 * do not name, so Kuroshio's own are reached the way an application reaches them: methods through
 * its generic invoke, the event through a subscription of a JSON-RPC client of its own.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pollUntil } from '../helpers/browser.js';
import type { Remote } from '../helpers/kurento-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { negotiate, Rig, waitConnected } from './fixtures.js';

let rig: Rig;
let events: RawClient;

before(async () => {
  rig = await Rig.start();
  events = await RawClient.connect(rig.server.url);
});

after(async () => {
  events?.close();
  await rig?.close();
});

/** Subscribes to an endpoint's SpeakingStateChanged; `nth(n)` waits for its n-th event (from 1). */
async function speakingChanges(endpoint: Remote): Promise<{ all(): Array<Record<string, any>>; nth(n: number, timeoutMs: number): Promise<Record<string, any>> }> {
  await events.call('subscribe', { object: endpoint.id, type: 'SpeakingStateChanged' });
  const all = (): Array<Record<string, any>> => events.events('SpeakingStateChanged').filter((e) => e.object === endpoint.id).map((e) => e.data as Record<string, any>);
  return {
    all,
    nth: async (n, timeoutMs) => (await pollUntil(async () => all(), (list) => list.length >= n, timeoutMs, `SpeakingStateChanged number ${n}`, 50))[n - 1]!,
  };
}

/** The `audioLevel` getStats gives for the peer's sound (0 to 1), or undefined. */
async function audioLevel(endpoint: Remote): Promise<number | undefined> {
  const stats = await endpoint.call<Record<string, Record<string, unknown>>>('getStats', 'AUDIO');
  const inbound = Object.values(stats).find((s) => s.type === 'inboundrtp' && s.mediaTrackId === 'audio');
  return typeof inbound?.audioLevel === 'number' ? inbound.audioLevel : undefined;
}

test('a page\'s tone, silence and tone again: SpeakingStateChanged true, false, true, and getStats follows the level', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const endpoint = await pipeline.create('WebRtcEndpoint');
    const changes = await speakingChanges(endpoint);
    const page = await scene.page();
    const { startedAt } = await negotiate(scene, page, endpoint, { direction: 'sendonly', video: false, synthetic: { tone: 440, toneGain: 0.5 } });
    assert.match(await endpoint.call<string>('getLocalSessionDescriptor'), /a=extmap:\d+ urn:ietf:params:rtp-hdrext:ssrc-audio-level/, 'the answer takes the audio level extension');
    await waitConnected(page, startedAt);

    const started = await changes.nth(1, 10_000);
    assert.equal(started.speaking, true);
    assert.ok(Number(started.audioLevel) > 0.1, `a tone at half of full scale is loud: ${String(started.audioLevel)}`);
    const loud = await pollUntil(() => audioLevel(endpoint), (l) => l !== undefined && l > 0.1, 5000, 'getStats to give the tone\'s level', 200);

    await page.setToneGain(0);
    const silenced = Date.now();
    const stopped = await changes.nth(2, 5000);
    assert.equal(stopped.speaking, false);
    const stoppedAfter = Date.now() - silenced;
    const quiet = await pollUntil(() => audioLevel(endpoint), (l) => l !== undefined && l < 0.01, 5000, 'getStats to give silence', 200);

    await page.setToneGain(0.5);
    const resumed = await changes.nth(3, 5000);
    t.diagnostic(`speaking at level ${Number(started.audioLevel).toFixed(3)}; getStats ${loud?.toFixed(3)} then ${quiet?.toFixed(4)}; stopped ${stoppedAfter} ms after the silence (level ${Number(stopped.audioLevel).toFixed(4)}); again at ${Number(resumed.audioLevel).toFixed(3)}`);
    assert.ok(stoppedAfter < 2000, `speech ended ${stoppedAfter} ms after the silence`);
    assert.deepEqual(changes.all().map((e) => e.speaking), [true, false, true]);
  }));

test('speakingThreshold: a quiet tone is speech only once the threshold is below it', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const endpoint = await pipeline.create('WebRtcEndpoint');
    assert.equal(await endpoint.invoke('getSpeakingThreshold'), -50);
    await endpoint.invoke('setSpeakingThreshold', { speakingThreshold: -20 });
    const changes = await speakingChanges(endpoint);
    const page = await scene.page();
    // 0.03 of full scale is about -30 dBov: under -20, over -40.
    const { startedAt } = await negotiate(scene, page, endpoint, { direction: 'sendonly', video: false, synthetic: { tone: 440, toneGain: 0.03 } });
    await waitConnected(page, startedAt);
    await pollUntil(() => audioLevel(endpoint), (l) => l !== undefined && l > 0.01 && l < 0.1, 10_000, 'getStats to give the quiet tone\'s level', 200);
    assert.deepEqual(changes.all(), [], 'a -30 dBov tone is not speech at a -20 dBov threshold');
    await endpoint.invoke('setSpeakingThreshold', { speakingThreshold: -40 });
    const started = await changes.nth(1, 5000);
    assert.equal(started.speaking, true);
    t.diagnostic(`speaking at ${Number(started.audioLevel).toFixed(3)} once the threshold was -40 dBov`);
    await assert.rejects(endpoint.invoke('setSpeakingThreshold', { speakingThreshold: 3 }), /speakingThreshold/);
  }));
