/**
 * Media through the ICE transports a browser falls back to when UDP is blocked: ICE-TCP to the
 * server's passive TCP candidates, and a TURN relay (Debian's coturn on loopback) configured on
 * both sides, the endpoint through Kurento's `turnUrl`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inboundVideo } from '../helpers/browser.js';
import { startCoturn } from '../helpers/coturn.js';
import { assertKeepsRising, audioPacketsReceived, FAKE_CAMERA, framesDecoded, negotiate, nextMatching, Rig, waitConnected, waitForPicture } from './fixtures.js';

let rig: Rig;

before(async () => {
  rig = await Rig.start();
});

after(async () => {
  await rig?.close();
});

const transportOf = (candidate: string): string | undefined => /^(?:a=)?candidate:\S+ \d+ (\S+) /i.exec(candidate)?.[1]?.toLowerCase();

test('ICE-TCP only: with no UDP candidate on either side, media flows over TCP', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const endpoint = await pipeline.create('WebRtcEndpoint');
    await endpoint.call('connect', endpoint);
    const pairs = endpoint.events('NewCandidatePairSelected');
    const page = await scene.page();
    // The page hands out no UDP candidate, and the application passes none of the server's on:
    // neither side learns a UDP address of the other, so only TCP pairs can be checked.
    const { startedAt } = await negotiate(scene, page, endpoint, { tcpOnly: true, relayToPage: (c) => transportOf(c) === 'tcp' });
    t.diagnostic(`time to connect over TCP: ${await waitConnected(page, startedAt)} ms`);

    const stats = await waitForPicture(page);
    assert.deepEqual([inboundVideo(stats)?.frameWidth, inboundVideo(stats)?.frameHeight], [FAKE_CAMERA.width, FAKE_CAMERA.height]);
    assert.equal(stats.candidatePair?.local?.protocol, 'tcp', JSON.stringify(stats.candidatePair));
    assert.equal(stats.candidatePair?.remote?.protocol, 'tcp', JSON.stringify(stats.candidatePair));
    assert.equal(stats.candidatePair?.remote?.tcpType, 'passive', 'the server accepts the connection');

    // The endpoint reports the same pair, in KMS's form (candidate attributes).
    const selected = await nextMatching(pairs, () => true, 5_000);
    const pair = selected.candidatePair as { localCandidate: string; remoteCandidate: string };
    assert.match(pair.localCandidate, /^candidate:\S+ 1 tcp \d+ \S+ \d+ typ host tcptype passive/i, JSON.stringify(pair));
    assert.match(pair.remoteCandidate, /^candidate:\S+ 1 tcp .* tcptype active/i, JSON.stringify(pair));
    pairs.stop();
    await assertKeepsRising(page, { framesDecoded, audioPacketsReceived }, 3000, 500);
  }));

test('TURN relay only: the page relays through coturn, the endpoint has the turnUrl, media flows', async (t) => {
  const turn = await startCoturn();
  try {
    await rig.scene(t, async (scene) => {
      const pipeline = await scene.pipeline();
      const endpoint = await pipeline.create('WebRtcEndpoint');
      await endpoint.call('connect', endpoint);
      const found = endpoint.events('IceCandidateFound');
      const gathered = endpoint.events('IceGatheringDone');
      const page = await scene.page();
      const { startedAt } = await negotiate(scene, page, endpoint, {
        iceServers: [turn.iceServer('udp')],
        iceTransportPolicy: 'relay',
        // Set before processOffer, as Kurento applications do.
        beforeOffer: () => endpoint.call('setTurnUrl', turn.kurentoTurnUrl('udp')),
      });
      assert.equal(await endpoint.call('getTurnUrl'), turn.kurentoTurnUrl('udp'));
      t.diagnostic(`time to connect through TURN: ${await waitConnected(page, startedAt)} ms`);

      const stats = await waitForPicture(page);
      assert.deepEqual([inboundVideo(stats)?.frameWidth, inboundVideo(stats)?.frameHeight], [FAKE_CAMERA.width, FAKE_CAMERA.height]);
      assert.equal(stats.candidatePair?.local?.candidateType, 'relay', JSON.stringify(stats.candidatePair));
      assert.equal(stats.candidatePair?.local?.relayProtocol, 'udp');
      await assertKeepsRising(page, { framesDecoded, audioPacketsReceived }, 3000, 500);

      // The endpoint allocated its own relay on coturn from the turnUrl and announced it.
      await gathered.next(10_000);
      const relays = found.received
        .map((e) => (e.candidate as { candidate: string }).candidate)
        .filter((c) => / typ relay/.test(c));
      const relayPort = Number(/ (\d+) typ relay/.exec(relays[0] ?? '')?.[1]);
      assert.ok(relays.length > 0 && relayPort >= turn.relayPorts[0] && relayPort <= turn.relayPorts[1], `relay candidates: ${JSON.stringify(relays)}`);
      found.stop();
      gathered.stop();
    });
  } catch (err) {
    t.diagnostic(`coturn output:\n${turn.output.slice(-40).join('\n')}`);
    throw err;
  } finally {
    await turn.stop();
  }
});
