/**
 * SDP robustness of every SdpEndpoint, against a corpus of offers in the form each stack sends
 * them (test/fixtures/sdp/: Chromium, Firefox, Safari, Android's libwebrtc, GStreamer's webrtcbin,
 * a SIP desk phone, an Android softphone's plain RTP, ffmpeg, Kurento's own RtpEndpoint, and
 * SDES-SRTP from a gateway). Each offer goes to a WebRtcEndpoint and to an RtpEndpoint, and each
 * answer is checked line by line: a line the endpoint can serve is answered with a codec both
 * have, every other line is rejected with port 0 in its place, and the offer never fails for it.
 * Malformed SDP gets KMS's error codes and leaves the endpoint usable for a good offer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../helpers/raw-client.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { createPipeline, invoke, tryInvoke } from '../helpers/webrtc-rpc.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/sdp/', import.meta.url));

let server: RunningServer;
let client: RawClient;
let pipeline: string;

before(async () => {
  server = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  client = await RawClient.connect(server.url);
  pipeline = await createPipeline(client);
});

after(async () => {
  client?.close();
  await server?.stop();
});

/** A fixture with CRLF line ends, as SDP travels. */
function fixture(name: string): string {
  return readFileSync(`${FIXTURES}${name}.sdp`, 'utf8').replace(/\r?\n/g, '\r\n');
}

interface AnswerLine {
  type: string;
  port: number;
  protocol: string;
  codecs: string[];
  mid: string | undefined;
  crypto: string[];
}

function lines(sdp: string): AnswerLine[] {
  return sdp.split(/\r\n(?=m=)/).slice(1).map((section) => {
    const [, type = '', port = '0', protocol = ''] = /^m=(\S+) (\d+) (\S+)/.exec(section) ?? [];
    return {
      type,
      port: Number(port),
      protocol,
      codecs: [...section.matchAll(/^a=rtpmap:\d+ ([^/\r]+)/gm)].map((m) => m[1]!.toUpperCase()),
      mid: /^a=mid:(\S+)/m.exec(section)?.[1],
      crypto: [...section.matchAll(/^a=crypto:(\d+ \S+)/gm)].map((m) => m[1]!),
    };
  });
}

async function endpoint(type: 'WebRtcEndpoint' | 'RtpEndpoint', params: Record<string, unknown> = {}): Promise<string> {
  return String((await client.call('create', { type, constructorParams: { mediaPipeline: pipeline, ...params } })).value);
}

async function answer(type: 'WebRtcEndpoint' | 'RtpEndpoint', offer: string, params: Record<string, unknown> = {}): Promise<{ id: string; lines: AnswerLine[] }> {
  const id = await endpoint(type, params);
  const sdp = String(await invoke(client, id, 'processOffer', { offer }));
  assert.equal(await invoke(client, id, 'getRemoteSessionDescriptor'), offer, 'the remote descriptor is the offer');
  assert.equal(lines(String(await invoke(client, id, 'getLocalSessionDescriptor'))).length, lines(sdp).length, 'the local descriptor is the answer');
  return { id, lines: lines(sdp) };
}

function assertMirrors(offer: string, answered: AnswerLine[]): void {
  const offered = lines(offer);
  assert.deepEqual(answered.map((l) => l.type), offered.map((l) => l.type), 'one answer line per offer line, in order');
  assert.deepEqual(answered.map((l) => l.mid), offered.map((l) => l.mid), 'mids kept');
}

// ---- WebRTC stacks ----------------------------------------------------------------------------

const WEBRTC_OFFERS: Record<string, { audio: string; video: string; data?: boolean }> = {
  chromium: { audio: 'OPUS', video: 'VP8', data: true },
  firefox: { audio: 'OPUS', video: 'VP8' },
  safari: { audio: 'OPUS', video: 'H264' },
  'android-libwebrtc': { audio: 'OPUS', video: 'VP8' },
  'gstreamer-webrtcbin': { audio: 'OPUS', video: 'VP8' },
};

for (const [name, expected] of Object.entries(WEBRTC_OFFERS)) {
  test(`${name} offer: a WebRtcEndpoint answers every line (${expected.video}, ${expected.audio}); an RtpEndpoint rejects them all`, async () => {
    const offer = fixture(name);
    const webrtc = await answer('WebRtcEndpoint', offer);
    assertMirrors(offer, webrtc.lines);
    const audio = webrtc.lines.find((l) => l.type === 'audio')!;
    const video = webrtc.lines.find((l) => l.type === 'video')!;
    assert.ok(audio.port > 0 && video.port > 0, 'audio and video accepted');
    assert.equal(audio.codecs[0], expected.audio);
    assert.ok(video.codecs.includes(expected.video), `video answered with ${video.codecs.join(', ')}`);
    assert.ok(!video.codecs.some((c) => ['AV1', 'H265', 'ULPFEC'].includes(c)), 'codecs we do not have are left out');
    if (expected.data) assert.ok(webrtc.lines.find((l) => l.type === 'application')!.port > 0, 'the data channel line is accepted');

    const rtp = await answer('RtpEndpoint', offer);
    assertMirrors(offer, rtp.lines);
    assert.ok(rtp.lines.every((l) => l.port === 0), 'DTLS-SRTP lines are not plain RTP');
  });
}

test('lines WebRTC cannot serve are rejected in place; candidates name the offer\'s line indices', async () => {
  // A text line before Chromium's media and a line the browser itself stopped.
  const chromium = fixture('chromium');
  const [head, ...sections] = chromium.split(/\r\n(?=m=)/);
  const text = 'm=text 9 UDP/TLS/RTP/SAVPF 98\r\nc=IN IP4 0.0.0.0\r\na=mid:t\r\na=rtpmap:98 t140/1000';
  const stopped = 'm=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:s\r\na=inactive\r\na=rtpmap:96 VP8/90000';
  const offer = [head!.replace('a=group:BUNDLE 0 1 2', 'a=group:BUNDLE 0 1 2'), text, ...sections.slice(0, 2), stopped, sections[2]!].join('\r\n');
  const webrtc = await answer('WebRtcEndpoint', offer);
  assert.deepEqual(webrtc.lines.map((l) => [l.type, l.port > 0]), [['text', false], ['audio', true], ['video', true], ['video', false], ['application', true]]);
  assertMirrors(offer, webrtc.lines);
  await client.call('subscribe', { object: webrtc.id, type: 'IceCandidateFound' });
  await invoke(client, webrtc.id, 'gatherCandidates');
  const found = await client.waitForEvent('IceCandidateFound', webrtc.id, 10_000);
  const candidate = found.params.value.data.candidate as { sdpMid: string; sdpMLineIndex: number };
  assert.equal(candidate.sdpMid, '0');
  assert.equal(candidate.sdpMLineIndex, 1, 'the bundled audio line is the offer\'s second');
  // A candidate for a rejected line is accepted and ignored.
  await invoke(client, webrtc.id, 'addIceCandidate', { candidate: { candidate: 'candidate:1 1 UDP 2122260223 127.0.0.1 50000 typ host', sdpMid: 't', sdpMLineIndex: 0 } });
});

// ---- plain RTP stacks -------------------------------------------------------------------------

const RTP_OFFERS: Record<string, { audio?: string[]; video?: string[] }> = {
  'android-plain-rtp': { audio: ['OPUS', 'PCMU', 'PCMA'], video: ['H264'] },
  'sip-phone': { audio: ['PCMU', 'PCMA'] },
  ffmpeg: { audio: ['OPUS'], video: ['VP8'] },
  // PCMU by its static payload type 0, without an rtpmap line.
  'kurento-rtp': { audio: ['OPUS', 'PCMU'], video: ['VP8', 'H264'] },
};

for (const [name, expected] of Object.entries(RTP_OFFERS)) {
  test(`${name} offer: an RtpEndpoint answers with the codecs both have; a WebRtcEndpoint answers with every line rejected`, async () => {
    const offer = fixture(name);
    const rtp = await answer('RtpEndpoint', offer);
    assertMirrors(offer, rtp.lines);
    for (const kind of ['audio', 'video'] as const) {
      const line = rtp.lines.find((l) => l.type === kind);
      if (!line) continue;
      assert.ok(line.port > 0, `${kind} accepted`);
      assert.equal(line.protocol, lines(offer).find((l) => l.type === kind)!.protocol, 'the offer\'s profile');
      assert.deepEqual(line.codecs.filter((c) => c !== 'TELEPHONE-EVENT'), expected[kind]);
    }
    const webrtc = await answer('WebRtcEndpoint', offer);
    assertMirrors(offer, webrtc.lines);
    assert.ok(webrtc.lines.every((l) => l.port === 0), 'plain RTP lines are rejected by WebRTC, the offer is not');
  });
}

test('SDES offer: each line is answered with the key of the endpoint\'s suite, lines without one are rejected', async () => {
  const offer = fixture('sdes-srtp');
  const plain = await answer('RtpEndpoint', offer);
  assert.ok(plain.lines.every((l) => l.port === 0), 'no crypto parameter: SRTP lines rejected');

  const aes128 = await answer('RtpEndpoint', offer, { crypto: { crypto: 'AES_128_CM_HMAC_SHA1_80' } });
  // The audio line's _80 key has an MKI (not supported): only the video line has a usable one.
  assert.deepEqual(aes128.lines.map((l) => l.port > 0), [false, true]);
  assert.deepEqual(aes128.lines[1]!.crypto, ['1 AES_CM_128_HMAC_SHA1_80']);
  assert.deepEqual(aes128.lines[1]!.codecs, ['H264']);

  const aes256 = await answer('RtpEndpoint', offer, { crypto: { crypto: 'AES_256_CM_HMAC_SHA1_80' } });
  assert.deepEqual(aes256.lines.map((l) => l.port > 0), [true, false]);
  assert.deepEqual(aes256.lines[0]!.crypto, ['3 AES_256_CM_HMAC_SHA1_80']);
});

// ---- malformed SDP ----------------------------------------------------------------------------

function assertError(response: Record<string, any>, code: number): void {
  assert.ok(response.error, `expected error ${code}, got ${JSON.stringify(response).slice(0, 300)}`);
  assert.equal(response.error.code, code, JSON.stringify(response.error));
}

for (const type of ['RtpEndpoint', 'WebRtcEndpoint'] as const) {
  test(`${type}: malformed offers get 40201/40205, then a good offer is answered; out-of-order calls get 40208/40209/40210`, async () => {
    const id = await endpoint(type);
    const good = type === 'RtpEndpoint' ? fixture('sip-phone') : fixture('chromium');
    const malformed: [string, number][] = [
      ['', 40201],
      ['hello', 40201],
      ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nthis is not sdp\r\n', 40201],
      ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n', 40205],
      ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio port RTP/AVP 0\r\n', 40205],
    ];
    for (const [offer] of malformed) assertError(await tryInvoke(client, id, 'processAnswer', { answer: offer }), 40209);
    for (const [offer, code] of malformed) assertError(await tryInvoke(client, id, 'processOffer', { offer }), code);
    const answered = String(await invoke(client, id, 'processOffer', { offer: good }));
    assert.ok(lines(answered).some((l) => l.port > 0), 'the good offer is answered');
    assertError(await tryInvoke(client, id, 'processOffer', { offer: good }), 40208);
    assertError(await tryInvoke(client, id, 'generateOffer'), 40208);
    assertError(await tryInvoke(client, id, 'processAnswer', { answer: good }), 40209);
  });

  test(`${type}: a malformed answer gets 40201/40206 and a good one is still taken; a second answer gets 40210`, async () => {
    const id = await endpoint(type);
    const offer = String(await invoke(client, id, 'generateOffer'));
    assertError(await tryInvoke(client, id, 'processAnswer', { answer: 'garbage' }), 40201);
    assertError(await tryInvoke(client, id, 'processAnswer', { answer: 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=video x RTP/AVP 96\r\n' }), 40206);
    if (type === 'RtpEndpoint') {
      const goodAnswer = offer.replace(/^m=(audio|video) \d+/gm, (_m, kind: string) => `m=${kind} ${kind === 'audio' ? 30000 : 30002}`);
      await invoke(client, id, 'processAnswer', { answer: goodAnswer });
      assertError(await tryInvoke(client, id, 'processAnswer', { answer: goodAnswer }), 40210);
    }
  });
}

test('RtpEndpoint: a key of the wrong length is refused at creation (40001), as KMS does', async () => {
  const response = await client.request('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: pipeline, crypto: { crypto: 'AES_256_CM_HMAC_SHA1_80', key: 'only thirty characters long!!!' } } });
  assertError(response, 40001);
  const ok = await client.request('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: pipeline, crypto: { crypto: 'AES_128_CM_HMAC_SHA1_80', key: 'exactly thirty characters!!!!!' } } });
  assert.ok(ok.result, JSON.stringify(ok.error));
  const offer = String(await invoke(client, String(ok.result.value), 'generateOffer'));
  assert.match(offer, new RegExp(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.from('exactly thirty characters!!!!!').toString('base64').replace(/[+/]/g, '\\$&')}`));
  assert.match(offer, /^m=audio \d+ RTP\/SAVPF /m);
});
