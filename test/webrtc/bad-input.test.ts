/**
 * WebRtcEndpoint against bad input and bad peers: malformed SDP, offers without a common codec,
 * calls out of order, bogus and duplicate candidates, garbage datagrams on its UDP port, and peers
 * that vanish. Every failure must carry KMS's error code, leave the endpoint usable, and leave
 * nothing behind in the media worker (sockets, memory).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { collectGarbage, heapFigures, inspectorUrls, rssKiB } from '../../bench/proc.js';
import { poll, pollUntil } from '../helpers/poll.js';
import { RawClient, type Message } from '../helpers/raw-client.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { candidatesOf, connectPeer, createPipeline, createWebRtcEndpoint, invoke, subscribe, tryInvoke } from '../helpers/webrtc-rpc.js';
import { pumpMedia, WeriftPeer } from '../helpers/werift-peer.js';

let server: RunningServer;
let client: RawClient;
let workerPid: number;
/** One offer of a real werift peer (with candidates), reused where only its text matters. */
let goodOffer: string;
const peers: WeriftPeer[] = [];

before(async () => {
  // The inspector lets the memory test force garbage collections in the worker (bench/proc.ts).
  server = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo', NODE_OPTIONS: '--inspect=127.0.0.1:0' } });
  client = await RawClient.connect(server.url);
  [workerPid] = server.workerPids() as [number];
  const peer = newPeer();
  goodOffer = await peer.offer({ audio: 'sendrecv', video: 'sendrecv' });
});

after(async () => {
  for (const p of peers) await p.close();
  client?.close();
  await server?.stop();
});

function newPeer(): WeriftPeer {
  const peer = new WeriftPeer();
  peers.push(peer);
  return peer;
}

async function freshEndpoint(t: { after(fn: () => Promise<unknown>): void }): Promise<string> {
  const pipeline = await createPipeline(client);
  t.after(() => client.call('release', { object: pipeline }));
  return createWebRtcEndpoint(client, pipeline);
}

function assertKurentoError(response: Message, code: number, message?: RegExp): void {
  assert.ok(response.error, `expected error ${code}, got ${JSON.stringify(response)}`);
  assert.equal(response.error.code, code, JSON.stringify(response.error));
  if (message) assert.match(String(response.error.message), message);
}

/** The offer with one kind's m-line reduced to a single codec the server does not have. */
function withOnlyCodec(offer: string, kind: 'audio' | 'video', payloadType: number, rtpmap: string): string {
  const sections = offer.split(/\r\n(?=m=)/);
  return sections
    .map((section) => {
      if (!section.startsWith(`m=${kind} `)) return section;
      const lines = section.split('\r\n');
      const [first, ...rest] = lines;
      const kept = rest.filter((l) => !/^a=(rtpmap|fmtp|rtcp-fb):/.test(l));
      return [first!.replace(/^(m=\w+ \d+ \S+) .*$/, `$1 ${payloadType}`), ...kept, `a=rtpmap:${payloadType} ${rtpmap}`].join('\r\n');
    })
    .join('\r\n');
}

/** Sockets the process holds (UDP and TCP alike), from its file descriptors. */
function socketCount(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) count++;
    } catch {
      // the descriptor was closed while the directory was listed
    }
  }
  return count;
}

/** Polls `read` until it returns `expected` or the time is up (/proc sends no events); returns the last value. */
function settlesTo(read: () => number, expected: number, timeoutMs: number): Promise<number> {
  return poll(read, (value) => value === expected, timeoutMs);
}

test('malformed SDP gets KMS error codes and the endpoint still takes a good offer afterwards', async (t) => {
  const endpoint = await freshEndpoint(t);
  // Not SDP at all: SDP_PARSE_ERROR, as KMS's str_to_sdp.
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: 'this is not an SDP \u0000\u00ff' }), 40201);
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: '' }), 40201);
  // SDP that parses but cannot be negotiated: SDP_END_POINT_PROCESS_OFFER_ERROR, saying why.
  const truncated = goodOffer.slice(0, Math.floor(goodOffer.indexOf('a=ice-ufrag:') - 10));
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: truncated }), 40205, /ICE|fingerprint/);
  const noFingerprint = goodOffer.replace(/^a=fingerprint:.*\r\n/gm, '');
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: noFingerprint }), 40205, /fingerprint/);

  const answer = String(await invoke(client, endpoint, 'processOffer', { offer: goodOffer }));
  assert.match(answer, /^v=0\r\n/);
  assert.match(answer, /a=fingerprint:sha-256 /);
});

test('an offer with no codec in common is refused with 40205 naming the codecs', async (t) => {
  const endpoint = await freshEndpoint(t);
  const av1Only = withOnlyCodec(goodOffer.replace(/\r\nm=audio[\s\S]*?(?=\r\nm=|$)/, ''), 'video', 45, 'AV1/90000');
  assert.doesNotMatch(av1Only, /VP8|opus/i);
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: av1Only }), 40205, /codec.*VP8/i);
  const g722Only = withOnlyCodec(goodOffer.replace(/\r\nm=video[\s\S]*?(?=\r\nm=|$)/, ''), 'audio', 9, 'G722/8000');
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: g722Only }), 40205, /codec.*opus/i);
  // Still usable: the failed attempts left no negotiation behind.
  const answer = String(await invoke(client, endpoint, 'processOffer', { offer: goodOffer }));
  assert.match(answer, /VP8\/90000/);
});

test('calls out of order: processAnswer without an offer is 40209, a second processOffer (no ICE restart) 40208', async (t) => {
  const endpoint = await freshEndpoint(t);
  assertKurentoError(await tryInvoke(client, endpoint, 'processAnswer', { answer: goodOffer }), 40209);
  await invoke(client, endpoint, 'processOffer', { offer: goodOffer });
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: goodOffer }), 40208);
  // KMS: after processOffer no offer of ours awaits an answer, so still 40209.
  assertKurentoError(await tryInvoke(client, endpoint, 'processAnswer', { answer: goodOffer }), 40209);

  const offering = await freshEndpoint(t);
  const offer = String(await invoke(client, offering, 'generateOffer'));
  const peer = newPeer();
  const answer = await peer.answer(offer);
  await invoke(client, offering, 'processAnswer', { answer });
  assertKurentoError(await tryInvoke(client, offering, 'processAnswer', { answer }), 40210);
});

test('re-offers: changed media lines are 40208 and change nothing; new ICE credentials alone are an ICE restart', async (t) => {
  const endpoint = await freshEndpoint(t);
  const first = String(await invoke(client, endpoint, 'processOffer', { offer: goodOffer }));
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(goodOffer)![1]!;
  const restart = goodOffer.replaceAll(`a=ice-ufrag:${ufrag}`, 'a=ice-ufrag:rstr').replace(/^a=ice-pwd:\S+/gm, 'a=ice-pwd:restartrestartrestart1234');
  // New credentials but another media section: not a restart, refused as every KMS re-offer.
  const fewerLines = restart.replace(/\r\nm=audio[\s\S]*?(?=\r\nm=|$)/, '');
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: fewerLines }), 40208, /media lines changed/);
  const otherCodecs = withOnlyCodec(restart, 'video', 96, 'VP8/90000');
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: otherCodecs }), 40208, /media lines changed/);
  const otherDirection = restart.replace(/^a=sendrecv/m, 'a=sendonly');
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: otherDirection }), 40208);
  // Same credentials and media: no restart, today's answer code (see 'calls out of order').
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: goodOffer }), 40208, /does not restart ICE/);
  assert.equal(await invoke(client, endpoint, 'getRemoteSessionDescriptor'), goodOffer, 'the refused offers left the negotiation as it was');
  // The restart itself is answered, with new local credentials and the same fingerprint.
  const answer = String(await invoke(client, endpoint, 'processOffer', { offer: restart }));
  assert.notEqual(/^a=ice-ufrag:(\S+)/m.exec(answer)![1], /^a=ice-ufrag:(\S+)/m.exec(first)![1]);
  assert.equal(/^a=fingerprint:.*$/m.exec(answer)![0], /^a=fingerprint:.*$/m.exec(first)![0]);
});

test('bogus candidates are refused with 40401; duplicates are accepted and change nothing', async (t) => {
  const endpoint = await freshEndpoint(t);
  for (const candidate of ['garbage', 'candidate:1 1 udp notanumber 127.0.0.1 9 typ host', 'candidate:1 1 sctp 1 127.0.0.1 9 typ host']) {
    assertKurentoError(await tryInvoke(client, endpoint, 'addIceCandidate', { candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } }), 40401);
  }
  // A real peer whose candidates are sent twice, before and after the offer.
  const peer = newPeer();
  await subscribe(client, endpoint, ['NewCandidatePairSelected', 'ConnectionStateChanged']);
  const offer = await peer.offer({ audio: 'sendrecv', video: 'sendrecv' });
  const offerCandidates = [...new Set(offer.split('\r\n').filter((l) => l.startsWith('a=candidate:')).map((l) => l.slice(2)))];
  // A trickling peer's offer: no candidates, and no end-of-candidates either.
  const trickleOffer = offer.replace(/^a=(candidate:.*|end-of-candidates)\r\n/gm, '');
  const add = (candidate: string): Promise<unknown> => invoke(client, endpoint, 'addIceCandidate', { candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } });
  for (const c of offerCandidates) await add(c);
  for (const c of offerCandidates) await add(c);
  const answer = String(await invoke(client, endpoint, 'processOffer', { offer: trickleOffer }));
  for (const c of offerCandidates) await add(c);
  await peer.acceptAnswer(answer);
  await subscribe(client, endpoint, ['IceCandidateFound', 'IceGatheringDone']);
  await invoke(client, endpoint, 'gatherCandidates');
  await client.waitForEvent('IceGatheringDone', endpoint);
  for (const c of candidatesOf(client, endpoint)) await peer.addCandidate(c);
  await peer.waitConnected();
  await client.waitForEvent('ConnectionStateChanged', endpoint);
  await client.barrier();
  const pairs = (await invoke(client, endpoint, 'getICECandidatePairs')) as unknown[];
  assert.equal(pairs.length, 1);
  assert.equal(client.events('NewCandidatePairSelected').filter((e) => e.object === endpoint).length, 1);
});

test('garbage datagrams on the endpoint port are dropped and counted; media and the worker carry on', async (t) => {
  const pipeline = await createPipeline(client);
  t.after(() => client.call('release', { object: pipeline }));
  const endpoint = await createWebRtcEndpoint(client, pipeline);
  await subscribe(client, endpoint, ['MediaFlowOutStateChanged']);
  const peer = newPeer();
  await connectPeer(client, endpoint, peer, { audio: 'sendrecv', video: 'sendrecv' });
  await peer.waitConnected();
  t.after(pumpMedia(peer));
  await client.waitForEvent('MediaFlowOutStateChanged', endpoint);
  const udp = candidatesOf(client, endpoint).map((c) => / udp \d+ 127\.0\.0\.1 (\d+) typ host/.exec(c.candidate)).find(Boolean);
  assert.ok(udp, 'a UDP candidate on 127.0.0.1');
  const port = Number(udp[1]);

  const stats = async (): Promise<{ discarded: number; received: number }> => {
    const all = Object.values((await invoke(client, endpoint, 'getStats')) as Record<string, Record<string, any>>);
    const transport = all.find((s) => s.__type__ === 'RTCTransportStats');
    const inbound = all.filter((s) => s.__type__ === 'RTCInboundRTPStreamStats').reduce((sum, s) => sum + Number(s.packetsReceived), 0);
    assert.ok(transport, 'an RTCTransportStats entry');
    return { discarded: Number(transport.packetsDiscarded), received: inbound };
  };
  const before = await stats();

  const socket = createSocket('udp4');
  t.after(() => socket.close());
  const send = (datagram: Buffer): Promise<void> =>
    new Promise((resolve, reject) => socket.send(datagram, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  const GARBAGE = 200;
  for (let i = 0; i < GARBAGE; i++) {
    const datagram = randomBytes(40 + (i % 200));
    // Half outside every RFC 7983 range, half looking like (undecryptable) RTP.
    datagram[0] = i % 2 === 0 ? 0xf0 | (i & 0x0f) : 0x80;
    datagram[1] = 96;
    await send(datagram);
  }

  // Counted (polling getStats: the counter raises no event), while media goes on arriving.
  const after = await poll(stats, (s) => s.discarded - before.discarded >= GARBAGE, 10_000, 200);
  assert.ok(after.discarded - before.discarded >= GARBAGE, `packetsDiscarded grew by ${after.discarded - before.discarded}, sent ${GARBAGE}`);
  const later = await pollUntil(stats, (s) => s.received > after.received, 10_000, 'media to go on arriving after the garbage', 200);
  assert.ok(later.received > after.received);
  assert.equal(client.events('MediaFlowOutStateChanged').filter((e) => e.object === endpoint && e.data.state === 'NOT_FLOWING').length, 0);

  // The worker is healthy: another pipeline answers, and it is the same process.
  const other = await createPipeline(client);
  assert.equal(typeof (await invoke(client, other, 'getName')), 'string');
  await client.call('release', { object: other });
  assert.deepEqual(server.workerPids(), [workerPid]);
});

test('peers that vanish are reported within seconds, and released endpoints free their sockets', async () => {
  const before = socketCount(workerPid);
  const pipeline = await createPipeline(client);
  const endpoints: string[] = [];
  const vanishing: WeriftPeer[] = [];
  const stops: (() => void)[] = [];
  for (let i = 0; i < 3; i++) {
    const endpoint = await createWebRtcEndpoint(client, pipeline);
    await subscribe(client, endpoint, ['ConnectionStateChanged', 'MediaFlowOutStateChanged', 'MediaSessionTerminated']);
    const peer = new WeriftPeer();
    await connectPeer(client, endpoint, peer, { audio: 'sendrecv', video: 'sendrecv' });
    await peer.waitConnected();
    stops.push(pumpMedia(peer));
    endpoints.push(endpoint);
    vanishing.push(peer);
  }
  for (const endpoint of endpoints) await client.waitForEvent('MediaFlowOutStateChanged', endpoint);
  assert.ok(socketCount(workerPid) > before, 'the endpoints hold sockets');

  // The peers go without a word: no DTLS alert, no RTCP BYE (werift sends neither on close).
  const vanishedAt = Date.now();
  for (const stop of stops) stop();
  for (const peer of vanishing) await peer.close();
  const ended = (endpoint: string, type: string, match: (d: Record<string, any>) => boolean): Promise<Message> =>
    client
      .waitFor((m) => m.method === 'onEvent' && m.params.value.object === endpoint && m.params.value.type === type && match(m.params.value.data), 20_000, true)
      .catch(() => {
        const seen = client.events().filter((e) => e.object === endpoint).map((e) => `${e.type}${JSON.stringify({ ...e.data, source: undefined, tags: undefined, timestampMillis: undefined, type: undefined })}`);
        throw new Error(`no ${type} from endpoint ${endpoints.indexOf(endpoint)}; its events: ${seen.join(', ')}`);
      });
  for (const endpoint of endpoints) {
    await ended(endpoint, 'ConnectionStateChanged', (d) => d.newState === 'DISCONNECTED');
    await ended(endpoint, 'MediaFlowOutStateChanged', (d) => d.state === 'NOT_FLOWING');
    await ended(endpoint, 'MediaSessionTerminated', () => true);
  }
  const detectedMs = Date.now() - vanishedAt;
  assert.ok(detectedMs < 15_000, `vanished peers reported after ${detectedMs} ms`);

  await client.call('release', { object: pipeline });
  const settled = await settlesTo(() => socketCount(workerPid), before, 5_000);
  assert.equal(settled, before, `worker sockets: ${before} before, ${settled} after release`);
});

test('failed negotiations leave no sockets behind', async () => {
  const before = socketCount(workerPid);
  const pipeline = await createPipeline(client);
  const endpoint = await createWebRtcEndpoint(client, pipeline);
  const av1Only = withOnlyCodec(goodOffer.replace(/\r\nm=audio[\s\S]*?(?=\r\nm=|$)/, ''), 'video', 45, 'AV1/90000');
  assertKurentoError(await tryInvoke(client, endpoint, 'processOffer', { offer: av1Only }), 40205);
  await invoke(client, endpoint, 'processOffer', { offer: goodOffer });
  await invoke(client, endpoint, 'gatherCandidates');
  await client.call('release', { object: pipeline });
  const settled = await settlesTo(() => socketCount(workerPid), before, 5_000);
  assert.equal(settled, before, `worker sockets: ${before} before, ${settled} after release`);
});

/**
 * Memory: 30 endpoints negotiated (offer, answer, gathering: each opens its sockets, DTLS
 * certificate and werift peer connection) and released, twice. The first round brings the
 * worker to its steady state (code compiled, pools and V8 spaces grown); the second must not
 * add to it. A full GC through the inspector before each sample leaves only live objects on
 * the JS heap, so the heap figure is tight: it must come back within a quarter of what the 30
 * live endpoints held (about 5 MiB here; run-to-run noise is about 0.5 MiB), so even a leak of
 * a quarter of each endpoint fails. RSS also carries allocator and V8 page slack that is given
 * back lazily, so it only has to give back most (40%) of the live growth, with 3 MiB of slack.
 */
test('30 endpoints created and released twice: the worker returns to its steady state', async (t) => {
  const inspectors = inspectorUrls(server.logs.map((r) => String(r.msg)));
  const worker = inspectors.at(-1);
  assert.ok(inspectors.length >= 2 && worker, `inspectors: ${inspectors.join(', ')}`);
  const sample = async (): Promise<{ heap: number; rss: number }> => {
    await collectGarbage([worker]);
    return { heap: (await heapFigures([worker])).heapUsed, rss: rssKiB(workerPid) * 1024 };
  };
  const round = async (): Promise<{ heap: number; rss: number }> => {
    const pipeline = await createPipeline(client);
    for (let i = 0; i < 30; i++) {
      const endpoint = await createWebRtcEndpoint(client, pipeline);
      await invoke(client, endpoint, 'processOffer', { offer: goodOffer });
      await invoke(client, endpoint, 'gatherCandidates');
    }
    const live = await sample();
    await client.call('release', { object: pipeline });
    return live;
  };
  await round();
  const steady = await sample();
  const live = await round();
  const final = await sample();
  const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
  const liveCost = live.heap - steady.heap;
  const report = `heap ${mib(steady.heap)} → live ${mib(live.heap)} → ${mib(final.heap)}; RSS ${mib(steady.rss)} → live ${mib(live.rss)} → ${mib(final.rss)}`;
  t.diagnostic(report);
  assert.ok(liveCost > 2 * 1048576, `30 live endpoints should hold some heap: ${report}`);
  assert.ok(final.heap - steady.heap < liveCost / 4, `heap did not return: ${report}`);
  assert.ok(final.rss - steady.rss < Math.max(0.6 * (live.rss - steady.rss), 3 * 1048576), `RSS did not return: ${report}`);
});
