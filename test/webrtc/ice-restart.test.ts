/**
 * ICE restart on a WebRtcEndpoint with a werift peer (no browser): the peer calls restartIce(),
 * its new offer goes through processOffer on the same endpoint, and the answer, the new
 * gathering's candidates and the peer's candidates go both ways. The endpoint loops its media
 * back to the peer, so media resuming on the new pair is seen at the peer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient } from '../helpers/raw-client.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { connectPeer, createPipeline, createWebRtcEndpoint, eventsOf, invoke, subscribe, WEBRTC_ENDPOINT_EVENTS } from '../helpers/webrtc-rpc.js';
import { pumpMedia, WeriftPeer } from '../helpers/werift-peer.js';
import { poll } from '../helpers/poll.js';

let server: RunningServer;
let client: RawClient;

before(async () => {
  server = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  client = await RawClient.connect(server.url);
});

after(async () => {
  client?.close();
  await server?.stop();
});

/** Waits until `condition` holds; fails with `why` after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number, why: string): Promise<void> {
  assert.ok(await poll(condition, (ok) => ok, timeoutMs, 20), why);
}

const ufragOf = (sdp: string): string => /^a=ice-ufrag:(\S+)/m.exec(sdp)![1]!;

test('ICE restart from a werift peer: new credentials, a fresh gathering, media resumes on the new pair, DTLS kept', async (t) => {
  const pipeline = await createPipeline(client);
  t.after(() => client.call('release', { object: pipeline }));
  const endpoint = await createWebRtcEndpoint(client, pipeline);
  await subscribe(client, endpoint, WEBRTC_ENDPOINT_EVENTS);
  await invoke(client, endpoint, 'connect', { sink: endpoint });
  const peer = new WeriftPeer();
  t.after(() => peer.close());

  const firstAnswer = await connectPeer(client, endpoint, peer, { audio: 'sendrecv', video: 'sendrecv' });
  await peer.waitConnected();
  const stop = pumpMedia(peer);
  t.after(stop);
  await peer.firstRtp('video');
  const dtls = peer.pc.dtlsTransports[0]!;
  const eventsBefore = eventsOf(client, endpoint).length;
  const pairBefore = peer.pc.iceTransports[0]!.connection.nominated;

  const restartOffer = await peer.restartIce();
  assert.notEqual(ufragOf(restartOffer), ufragOf(peer.pc.remoteDescription!.sdp), 'the peer restarted with new credentials');
  const answer = String(await invoke(client, endpoint, 'processOffer', { offer: restartOffer }));
  const answeredAt = performance.now();
  assert.notEqual(ufragOf(answer), ufragOf(firstAnswer), 'new local credentials in the answer');
  await peer.acceptRestartAnswer(answer);

  // The fresh gathering: IceCandidateFound events, then a second IceGatheringDone.
  await until(() => eventsOf(client, endpoint).slice(eventsBefore).some((e) => e.type === 'IceGatheringDone'), 10_000, 'no IceGatheringDone after the restart');
  const after = eventsOf(client, endpoint).slice(eventsBefore);
  const found = after.filter((e) => e.type === 'IceCandidateFound');
  assert.ok(found.length > 0, 'candidates announced again');
  for (const e of found) await peer.addCandidate(e.data.candidate);

  // Media on the new pair: packets that arrive after the peer nominated a new pair.
  await until(() => {
    const pair = peer.pc.iceTransports[0]!.connection.nominated;
    return pair !== undefined && pair !== pairBefore;
  }, 10_000, 'the peer nominated no new pair');
  const countAtNewPair = peer.packetsReceived.video;
  await until(() => peer.packetsReceived.video > countAtNewPair + 30, 5_000, 'video did not resume after the restart');
  const resumedMs = performance.now() - answeredAt;
  console.log(`# ice restart (werift peer): video resumed ${resumedMs.toFixed(0)} ms after the answer; ${found.length} candidates re-announced`);
  assert.ok(resumedMs < 2_000, `video resumed within 2 s of the answer (${resumedMs.toFixed(0)} ms)`);

  // DTLS and the connection were kept: same transport, no new handshake, no disconnection.
  assert.equal(peer.pc.dtlsTransports[0], dtls);
  assert.equal(dtls.state, 'connected');
  await until(() => eventsOf(client, endpoint).slice(eventsBefore).some((e) => e.type === 'NewCandidatePairSelected'), 5_000, 'no NewCandidatePairSelected after the restart');
  const types = eventsOf(client, endpoint).slice(eventsBefore).map((e) => `${e.type}${e.data.state ? `:${e.data.state}` : ''}`);
  console.log(`# events after the restart: ${[...new Set(types)].join(', ')}`);
  assert.ok(!types.some((t) => t.startsWith('DtlsConnectionStateChange')), 'no DTLS state change');
  assert.ok(!types.includes('ConnectionStateChanged:DISCONNECTED'), 'never disconnected');
  assert.ok(types.includes('IceComponentStateChanged:GATHERING'));
  assert.ok(types.includes('IceComponentStateChanged:CONNECTED'));
  assert.equal(await invoke(client, endpoint, 'getConnectionState'), 'CONNECTED');
  assert.equal(await invoke(client, endpoint, 'getMediaState'), 'CONNECTED');
  assert.match(String(await invoke(client, endpoint, 'getRemoteSessionDescriptor')), new RegExp(`a=ice-ufrag:${ufragOf(restartOffer)}`));
});
