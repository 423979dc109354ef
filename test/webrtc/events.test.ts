/**
 * WebRtcEndpoint's events, getters and negotiation flows against a werift peer in this process,
 * compared with what KMS 7.3 sends: event order from offer to media and back to a closed peer,
 * each event's payload shape (tagged complex types, int vs string ids), the state getters,
 * getStats entries, the server-offers flow, early gathering, offer options and directions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, useRawClients, type Message } from '../helpers/raw-client.js';
import {
  connectPeer,
  createPipeline,
  createWebRtcEndpoint,
  eventsOf,
  gatherInto,
  invoke,
  subscribe,
  WEBRTC_ENDPOINT_EVENTS,
} from '../helpers/webrtc-rpc.js';
import { pumpMedia, WeriftPeer } from '../helpers/werift-peer.js';

let client: RawClient;
useRawClients({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } }, async (f) => {
  client = await f.client();
});

/** A fresh pipeline (released after the test) with one endpoint subscribed to every event. */
async function endpointFor(t: { after(fn: () => Promise<unknown>): void }, options: Record<string, unknown> = {}): Promise<string> {
  const pipeline = await createPipeline(client);
  t.after(() => client.call('release', { object: pipeline }));
  const endpoint = await createWebRtcEndpoint(client, pipeline, options);
  await subscribe(client, endpoint, WEBRTC_ENDPOINT_EVENTS);
  return endpoint;
}

function waitEvent(endpoint: string, type: string, match: (data: Record<string, any>) => boolean, timeoutMs = 15_000): Promise<Message> {
  return client.waitFor(
    (m) => m.method === 'onEvent' && m.params.value.object === endpoint && m.params.value.type === type && match(m.params.value.data),
    timeoutMs,
    true,
  );
}

/** The event's own fields: the Media/RaiseBase fields checked, then removed. */
function fields(endpoint: string, event: { type: string; data: Record<string, any> }): Record<string, any> {
  const { source, tags, timestampMillis, type, ...rest } = event.data;
  assert.equal(source, endpoint);
  assert.deepEqual(tags, []);
  assert.match(String(timestampMillis), /^\d+$/);
  assert.equal(type, event.type);
  return rest;
}

const CANDIDATE = /^candidate:\S+ \d (udp|tcp) \d+ (127\.0\.0\.1|::1) \d+ typ host/;

test('from offer to media and back to a closed peer: KMS event order, payloads and getters', async (t) => {
  const endpoint = await endpointFor(t);
  // Loopback (hello-world): what the peer sends comes back to it, so both directions flow.
  await invoke(client, endpoint, 'connect', { sink: endpoint });

  assert.equal(await invoke(client, endpoint, 'getMediaState'), 'DISCONNECTED');
  assert.equal(await invoke(client, endpoint, 'getConnectionState'), 'DISCONNECTED');
  assert.deepEqual(await invoke(client, endpoint, 'getICECandidatePairs'), []);

  const peer = new WeriftPeer();
  t.after(() => peer.close());
  const backToPeer = peer.firstRtp('video');
  await connectPeer(client, endpoint, peer, { audio: 'sendrecv', video: 'sendrecv' });
  await peer.waitConnected();
  const stopPump = pumpMedia(peer);
  t.after(stopPump);
  // KMS's naming: "out" is what leaves the element into the pipeline (from the peer), "in" is
  // what enters its sink pads from the pipeline (here its own media, looped back to the peer).
  await waitEvent(endpoint, 'MediaFlowOutStateChanged', (d) => d.state === 'FLOWING' && d.mediaType === 'VIDEO');
  await waitEvent(endpoint, 'MediaFlowOutStateChanged', (d) => d.state === 'FLOWING' && d.mediaType === 'AUDIO');
  await waitEvent(endpoint, 'MediaFlowInStateChanged', (d) => d.state === 'FLOWING' && d.mediaType === 'VIDEO');
  await waitEvent(endpoint, 'MediaStateChanged', (d) => d.newState === 'CONNECTED');
  await backToPeer;
  await client.barrier();

  // ---- order, up to flowing media --------------------------------------------------------------
  const events = eventsOf(client, endpoint);
  const at = (type: string, match: (d: Record<string, any>) => boolean = () => true): number => {
    const index = events.findIndex((e) => e.type === type && match(e.data));
    assert.ok(index >= 0, `no ${type} event among ${events.map((e) => e.type).join(', ')}`);
    return index;
  };
  const lastAt = (type: string): number => events.map((e) => e.type).lastIndexOf(type);
  const ordered = (...indexes: number[]): void => {
    for (let i = 1; i < indexes.length; i++) {
      assert.ok(indexes[i - 1]! < indexes[i]!, `events out of order: ${events.map((e) => `${e.type}${e.data.state ? `(${e.data.state})` : ''}`).join(', ')}`);
    }
  };
  const state = (s: string) => (d: Record<string, any>) => d.state === s;
  ordered(
    at('MediaSessionStarted'),
    at('IceComponentStateChanged', state('GATHERING')),
    at('IceCandidateFound'),
    lastAt('IceCandidateFound'),
    at('IceGatheringDone'),
  );
  ordered(
    at('IceComponentStateChanged', state('GATHERING')),
    at('IceComponentStateChanged', state('CONNECTING')),
    at('IceComponentStateChanged', state('CONNECTED')),
    at('NewCandidatePairSelected'),
    at('DtlsConnectionStateChange', state('CONNECTED')),
    at('ConnectionStateChanged'),
    at('MediaFlowOutStateChanged'),
    at('MediaFlowInStateChanged'),
  );
  ordered(at('DtlsConnectionStateChange', state('CONNECTING')), at('DtlsConnectionStateChange', state('CONNECTED')));
  ordered(at('ConnectionStateChanged'), at('MediaStateChanged'));
  assert.equal(events.filter((e) => e.type === 'Error').length, 0, `Error events: ${JSON.stringify(events.filter((e) => e.type === 'Error'))}`);

  // ---- payloads ---------------------------------------------------------------------------------
  const one = (type: string, match?: (d: Record<string, any>) => boolean): Record<string, any> => fields(endpoint, events[at(type, match)]!);
  assert.deepEqual(one('MediaSessionStarted'), {});
  assert.deepEqual(one('IceComponentStateChanged', state('GATHERING')), { streamId: 1, componentId: 1, state: 'GATHERING' });
  assert.deepEqual(one('IceComponentStateChanged', state('CONNECTED')), { streamId: 1, componentId: 1, state: 'CONNECTED' });
  const candidates = events.filter((e) => e.type === 'IceCandidateFound').map((e) => fields(endpoint, e));
  for (const c of candidates) {
    assert.deepEqual(Object.keys(c), ['candidate']);
    assert.deepEqual(Object.keys(c.candidate).sort(), ['__module__', '__type__', 'candidate', 'sdpMLineIndex', 'sdpMid']);
    assert.equal(c.candidate.__module__, 'kurento');
    assert.equal(c.candidate.__type__, 'IceCandidate');
    assert.match(c.candidate.candidate, CANDIDATE, 'only loopback candidates with KMS_NETWORK_INTERFACES=lo');
    assert.equal(c.candidate.sdpMid, '0');
    assert.equal(c.candidate.sdpMLineIndex, 0);
  }
  assert.ok(candidates.some((c) => / udp .* 127\.0\.0\.1 /.test(c.candidate.candidate)), 'a UDP host candidate on 127.0.0.1');
  assert.deepEqual(one('IceGatheringDone'), {});
  const pair = one('NewCandidatePairSelected');
  assert.deepEqual(Object.keys(pair), ['candidatePair']);
  assert.equal(pair.candidatePair.__module__, 'kurento');
  assert.equal(pair.candidatePair.__type__, 'IceCandidatePair');
  assert.equal(pair.candidatePair.streamId, '1');
  assert.equal(pair.candidatePair.componentId, 1);
  assert.match(pair.candidatePair.localCandidate, /^candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
  assert.match(pair.candidatePair.remoteCandidate, /^candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
  const dtlsConnecting = one('DtlsConnectionStateChange', state('CONNECTING'));
  const dtlsConnected = one('DtlsConnectionStateChange', state('CONNECTED'));
  assert.equal(typeof dtlsConnected.connectionId, 'string');
  assert.ok(dtlsConnected.connectionId.length > 0);
  assert.deepEqual(dtlsConnecting, { ...dtlsConnected, state: 'CONNECTING' });
  assert.deepEqual(dtlsConnected, { streamId: '1', componentId: '1', connectionId: dtlsConnected.connectionId, state: 'CONNECTED' });
  assert.deepEqual(one('ConnectionStateChanged'), { oldState: 'DISCONNECTED', newState: 'CONNECTED' });
  assert.deepEqual(one('MediaFlowOutStateChanged', (d) => d.mediaType === 'VIDEO'), { state: 'FLOWING', padName: 'default', mediaType: 'VIDEO' });
  assert.deepEqual(one('MediaFlowOutStateChanged', (d) => d.mediaType === 'AUDIO'), { state: 'FLOWING', padName: 'default', mediaType: 'AUDIO' });
  assert.deepEqual(one('MediaFlowInStateChanged', (d) => d.mediaType === 'VIDEO'), { state: 'FLOWING', padName: 'default', mediaType: 'VIDEO' });
  assert.deepEqual(one('MediaStateChanged'), { oldState: 'DISCONNECTED', newState: 'CONNECTED' });

  // ---- getters while connected ------------------------------------------------------------------
  assert.deepEqual(await invoke(client, endpoint, 'getICECandidatePairs'), [pair.candidatePair]);
  const ice = (await invoke(client, endpoint, 'getIceConnectionState')) as Record<string, any>[];
  assert.equal(ice.length, 1);
  assert.deepEqual({ ...ice[0], state: undefined }, { __module__: 'kurento', __type__: 'IceConnection', streamId: '1', componentId: 1, state: undefined });
  assert.ok(['CONNECTED', 'READY'].includes(ice[0]!.state), `ICE state ${ice[0]!.state}`);
  assert.deepEqual(await invoke(client, endpoint, 'getDtlsConnectionState'), [{ __module__: 'kurento', __type__: 'DtlsConnection', ...dtlsConnected }]);
  assert.equal(await invoke(client, endpoint, 'getMediaState'), 'CONNECTED');
  assert.equal(await invoke(client, endpoint, 'getConnectionState'), 'CONNECTED');
  const local = String(await invoke(client, endpoint, 'getLocalSessionDescriptor'));
  assert.match(local, /^v=0\r\n/);
  for (const c of candidates) assert.ok(local.includes(`a=${c.candidate.candidate}`), `local SDP lacks ${c.candidate.candidate}`);
  assert.equal(await invoke(client, endpoint, 'getRemoteSessionDescriptor'), peer.pc.localDescription!.sdp);

  // ---- statistics -------------------------------------------------------------------------------
  const stats = Object.values((await invoke(client, endpoint, 'getStats')) as Record<string, Record<string, any>>);
  const ofType = (type: string): Record<string, any>[] => stats.filter((s) => s.__type__ === type);
  for (const s of stats) assert.equal(s.__module__, 'kurento');
  assert.equal(ofType('EndpointStats').length, 1);
  const inbound = ofType('RTCInboundRTPStreamStats');
  assert.deepEqual(inbound.map((s) => s.mediaTrackId).sort(), ['audio', 'video']);
  for (const s of inbound) {
    assert.ok(s.packetsReceived > 10, `${s.mediaTrackId} packetsReceived ${s.packetsReceived}`);
    assert.ok(s.bytesReceived >= s.packetsReceived * 100, `${s.mediaTrackId} bytesReceived ${s.bytesReceived}`);
    assert.equal(s.type, 'inboundrtp');
    assert.match(s.ssrc, /^\d+$/);
  }
  const outbound = ofType('RTCOutboundRTPStreamStats');
  assert.ok(outbound.some((s) => s.mediaTrackId === 'video' && s.packetsSent > 10), `outbound: ${JSON.stringify(outbound)}`);
  const [transport] = ofType('RTCTransportStats');
  assert.ok(transport, 'an RTCTransportStats entry');
  assert.ok(transport.bytesReceived > 10_000 && transport.bytesSent > 10_000, `transport: ${JSON.stringify(transport)}`);
  assert.equal(transport.packetsDiscarded, 0);
  const [pairStats] = ofType('RTCIceCandidatePairStats');
  assert.ok(pairStats, 'an RTCIceCandidatePairStats entry');
  assert.equal(pairStats.nominated, true);
  const videoOnly = Object.values((await invoke(client, endpoint, 'getStats', { mediaType: 'VIDEO' })) as Record<string, Record<string, any>>);
  assert.ok(!videoOnly.some((s) => s.mediaTrackId === 'audio'), 'getStats(VIDEO) leaves audio out');

  assert.deepEqual(peer.sendFailures, []);

  // ---- the peer goes away -----------------------------------------------------------------------
  stopPump();
  await peer.close();
  await waitEvent(endpoint, 'ConnectionStateChanged', (d) => d.newState === 'DISCONNECTED', 20_000);
  await waitEvent(endpoint, 'MediaFlowOutStateChanged', (d) => d.state === 'NOT_FLOWING' && d.mediaType === 'VIDEO', 5_000);
  await waitEvent(endpoint, 'MediaFlowInStateChanged', (d) => d.state === 'NOT_FLOWING' && d.mediaType === 'VIDEO', 5_000);
  await waitEvent(endpoint, 'MediaSessionTerminated', () => true, 5_000);
  await client.barrier();
  const closing = eventsOf(client, endpoint).slice(events.length);
  const disconnected = closing.find((e) => e.type === 'ConnectionStateChanged')!;
  assert.deepEqual(fields(endpoint, disconnected), { oldState: 'CONNECTED', newState: 'DISCONNECTED' });
  assert.equal(await invoke(client, endpoint, 'getConnectionState'), 'DISCONNECTED');
  assert.equal(await invoke(client, endpoint, 'getMediaState'), 'DISCONNECTED');
});

test('generateOffer / processAnswer: the server offers, a werift peer answers, media flows', async (t) => {
  const endpoint = await endpointFor(t);
  const offer = String(await invoke(client, endpoint, 'generateOffer'));
  assert.match(offer, /^m=audio .*\r\n[\s\S]*^m=video /m);
  assert.doesNotMatch(offer, /a=candidate:/, 'candidates are trickled, as KMS does');
  assert.equal(await invoke(client, endpoint, 'getLocalSessionDescriptor'), offer);

  const peer = new WeriftPeer();
  t.after(() => peer.close());
  const answer = await peer.answer(offer, 'sendrecv');
  const processed = await invoke(client, endpoint, 'processAnswer', { answer });
  assert.equal(typeof processed, 'string');
  assert.equal(await invoke(client, endpoint, 'getRemoteSessionDescriptor'), answer);
  await gatherInto(client, endpoint, peer);
  await peer.waitConnected();
  t.after(pumpMedia(peer));
  await waitEvent(endpoint, 'MediaFlowOutStateChanged', (d) => d.state === 'FLOWING' && d.mediaType === 'VIDEO');
  await waitEvent(endpoint, 'ConnectionStateChanged', (d) => d.newState === 'CONNECTED');
  assert.equal(eventsOf(client, endpoint).filter((e) => e.type === 'MediaSessionStarted').length, 1);
});

test('gatherCandidates before processOffer puts the candidates into the answer', async (t) => {
  const endpoint = await endpointFor(t);
  await invoke(client, endpoint, 'gatherCandidates');
  const peer = new WeriftPeer();
  t.after(() => peer.close());
  const offer = await peer.offer({ audio: 'sendrecv', video: 'sendrecv' });
  const answer = String(await invoke(client, endpoint, 'processOffer', { offer }));
  const lines = answer.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
  assert.ok(lines.length >= 2, `candidates in the answer:\n${answer}`);
  for (const line of lines) assert.match(line.slice(2), CANDIDATE);
  // Such an answer is enough on its own: no trickle needed.
  await peer.acceptAnswer(answer);
  await peer.waitConnected();
  await waitEvent(endpoint, 'ConnectionStateChanged', (d) => d.newState === 'CONNECTED');
});

test('OfferOptions: offerToReceiveVideo false gives an audio-only offer, and the reverse', async (t) => {
  const audioOnly = await endpointFor(t);
  const audioOffer = String(await invoke(client, audioOnly, 'generateOffer', { options: { offerToReceiveAudio: true, offerToReceiveVideo: false } }));
  assert.deepEqual(audioOffer.match(/^m=\w+/gm), ['m=audio']);
  const videoOnly = await endpointFor(t);
  const videoOffer = String(await invoke(client, videoOnly, 'generateOffer', { options: { offerToReceiveAudio: false, offerToReceiveVideo: true } }));
  assert.deepEqual(videoOffer.match(/^m=\w+/gm), ['m=video']);
});

test('recvonly and sendonly endpoints answer and offer with the matching SDP directions', async (t) => {
  for (const [option, direction] of [['recvonly', 'recvonly'], ['sendonly', 'sendonly']] as const) {
    const answering = await endpointFor(t, { [option]: true });
    const peer = new WeriftPeer();
    t.after(() => peer.close());
    const offer = await peer.offer({ audio: 'sendrecv', video: 'sendrecv' });
    const answer = String(await invoke(client, answering, 'processOffer', { offer }));
    assert.deepEqual(answer.match(/^a=(sendrecv|sendonly|recvonly|inactive)$/gm), [`a=${direction}`, `a=${direction}`], answer);

    const offering = await endpointFor(t, { [option]: true });
    const generated = String(await invoke(client, offering, 'generateOffer'));
    assert.deepEqual(generated.match(/^a=(sendrecv|sendonly|recvonly|inactive)$/gm), [`a=${direction}`, `a=${direction}`], generated);
  }
});
