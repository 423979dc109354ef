/**
 * ICE restart on a WebRtcEndpoint with a werift peer (no browser): the peer calls restartIce(),
 * its new offer goes through processOffer on the same endpoint, and the answer, the new
 * gathering's candidates and the peer's candidates go both ways. The endpoint loops its media
 * back to the peer, so media resuming on the new pair is seen at the peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, useRawClients } from '../helpers/raw-client.js';
import { connectPeer, createPipeline, createWebRtcEndpoint, eventsOf, invoke, subscribe, WEBRTC_ENDPOINT_EVENTS } from '../helpers/webrtc-rpc.js';
import { pumpMedia, WeriftPeer } from '../helpers/werift-peer.js';
import { poll } from '../helpers/poll.js';

let client: RawClient;
useRawClients({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } }, async (f) => {
  client = await f.client();
});

/** Waits until `condition` holds; fails with `why` after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number, why: string): Promise<void> {
  assert.ok(await poll(condition, (ok) => ok, timeoutMs, 20), why);
}

const ufragOf = (sdp: string): string => /^a=ice-ufrag:(\S+)/m.exec(sdp)![1]!;

/** A loopback endpoint (connected to itself) and a werift peer sending to it and receiving it back. */
async function connectedLoopback(t: { after(fn: () => unknown): void }): Promise<{ endpoint: string; peer: WeriftPeer; firstAnswer: string }> {
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
  // The endpoint's own events of the first connection may reach the client after the peer saw
  // media: wait for them, so that a test counting the events after a restart sees only its own.
  const seen = (type: string, state: string): boolean => eventsOf(client, endpoint).some((e) => e.type === type && e.data.state === state);
  await until(() => seen('DtlsConnectionStateChange', 'CONNECTED') && seen('MediaFlowOutStateChanged', 'FLOWING') && seen('MediaFlowInStateChanged', 'FLOWING'), 10_000, 'the first connection was not reported');
  return { endpoint, peer, firstAnswer };
}

/** The restart dance: the peer's new offer to processOffer, the answer back, the new candidates to the peer. */
async function restart(endpoint: string, peer: WeriftPeer): Promise<{ offer: string; answer: string; answeredAt: number; candidates: number }> {
  const eventsBefore = eventsOf(client, endpoint).length;
  const offer = await peer.restartIce();
  const answer = String(await invoke(client, endpoint, 'processOffer', { offer }));
  const answeredAt = performance.now();
  await peer.acceptRestartAnswer(answer);
  await until(() => eventsOf(client, endpoint).slice(eventsBefore).some((e) => e.type === 'IceGatheringDone'), 10_000, 'no IceGatheringDone after the restart');
  const found = eventsOf(client, endpoint).slice(eventsBefore).filter((e) => e.type === 'IceCandidateFound');
  for (const e of found) await peer.addCandidate(e.data.candidate);
  return { offer, answer, answeredAt, candidates: found.length };
}

test('ICE restart from a werift peer: new credentials, a fresh gathering, media resumes on the new pair, DTLS kept', async (t) => {
  const { endpoint, peer, firstAnswer } = await connectedLoopback(t);
  const dtls = peer.pc.dtlsTransports[0]!;
  const eventsBefore = eventsOf(client, endpoint).length;
  const pairBefore = peer.pc.iceTransports[0]!.connection.nominated;

  const firstOfferUfrag = ufragOf(peer.pc.localDescription!.sdp);
  const { offer: restartOffer, answer, answeredAt, candidates } = await restart(endpoint, peer);
  assert.notEqual(ufragOf(restartOffer), firstOfferUfrag, 'the peer restarted with new credentials');
  assert.notEqual(ufragOf(answer), ufragOf(firstAnswer), 'new local credentials in the answer');
  assert.ok(candidates > 0, 'candidates announced again');

  // Media on the new pair: packets that arrive after the peer nominated a new pair.
  await until(() => {
    const pair = peer.pc.iceTransports[0]!.connection.nominated;
    return pair !== undefined && pair !== pairBefore;
  }, 10_000, 'the peer nominated no new pair');
  const countAtNewPair = peer.packetsReceived.video;
  await until(() => peer.packetsReceived.video > countAtNewPair + 30, 5_000, 'video did not resume after the restart');
  const resumedMs = performance.now() - answeredAt;
  console.log(`# ice restart (werift peer): video resumed ${resumedMs.toFixed(0)} ms after the answer; ${candidates} candidates re-announced`);
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
  // (compared as text: a ufrag may hold '+' and '/')
  assert.ok(String(await invoke(client, endpoint, 'getRemoteSessionDescriptor')).split(/\r?\n/).includes(`a=ice-ufrag:${ufragOf(restartOffer)}`), 'the restart offer is the remote descriptor');
});

/** Silences a werift peer both ways (nothing sent, nothing read), as a lost network would; returns the undo. */
function silence(peer: WeriftPeer): () => void {
  type Protocol = { sendStun: unknown; sendData: unknown; datagramReceived: unknown };
  const protocols = (peer.pc.iceTransports[0]!.connection as unknown as { protocols: Protocol[] }).protocols;
  const saved = protocols.map((p) => ({ p, sendStun: p.sendStun, sendData: p.sendData, datagramReceived: p.datagramReceived }));
  for (const p of protocols) {
    p.sendStun = async () => undefined;
    p.sendData = async () => undefined;
    p.datagramReceived = () => undefined;
  }
  return () => {
    for (const s of saved) Object.assign(s.p, { sendStun: s.sendStun, sendData: s.sendData, datagramReceived: s.datagramReceived });
  };
}

test('ICE restart of a peer reported DISCONNECTED: CONNECTED again on the new pair, media back, same DTLS', async (t) => {
  const { endpoint, peer } = await connectedLoopback(t);
  const dtls = peer.pc.dtlsTransports[0]!;
  const undo = silence(peer);
  // peer-liveness.ts reports a peer silent for 10 s.
  await until(() => eventsOf(client, endpoint).some((e) => e.type === 'ConnectionStateChanged' && e.data.newState === 'DISCONNECTED'), 15_000, 'the silent peer reported DISCONNECTED');
  undo();
  const eventsBefore = eventsOf(client, endpoint).length;
  const { answeredAt } = await restart(endpoint, peer);
  await until(() => eventsOf(client, endpoint).slice(eventsBefore).some((e) => e.type === 'ConnectionStateChanged' && e.data.newState === 'CONNECTED'), 10_000, 'CONNECTED again after the restart');
  const connectedMs = performance.now() - answeredAt;
  const count = peer.packetsReceived.video;
  await until(() => peer.packetsReceived.video > count + 30, 5_000, 'video did not resume after the restart');
  console.log(`# ice restart of a disconnected peer: CONNECTED ${connectedMs.toFixed(0)} ms after the answer, video back ${(performance.now() - answeredAt).toFixed(0)} ms after it`);
  assert.equal(peer.pc.dtlsTransports[0], dtls);
  assert.equal(dtls.state, 'connected');
  assert.equal(await invoke(client, endpoint, 'getConnectionState'), 'CONNECTED');
});
